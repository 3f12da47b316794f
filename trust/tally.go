package trust

import (
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/winewarden/winewarden/audit"
)

// maxTracked bounds the distinct targets and programs a Tally remembers by
// name. Counts go on beyond it.
const maxTracked = 4096

// Tally counts what the score reads from the audit events of one session's
// game stage. It is safe for concurrent use.
type Tally struct {
	mu      sync.Mutex
	mainExe string

	sensitive  []string
	sensSeen   map[string]bool
	anomalies  []string
	anomCount  int
	spawns     []string
	spawnCount int
	spawnPIDs  map[int]bool
	denials    int
}

// NewTally returns a Tally for a game whose main .exe is mainExe (a Linux
// path, or empty). The game starting its own .exe again is not counted as
// a new program.
func NewTally(mainExe string) *Tally {
	return &Tally{mainExe: mainExe, sensSeen: map[string]bool{}, spawnPIDs: map[int]bool{}}
}

// Add counts one event. Feed it only events of the game's own run, not of
// the prefix creation before it.
func (t *Tally) Add(e audit.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Kind {
	case audit.KindSensitiveAccess:
		// The per-session summary event has no path, and counts nothing new.
		if e.Path != "" && !t.sensSeen[e.Path] && len(t.sensSeen) < maxTracked {
			t.sensSeen[e.Path] = true
			t.sensitive = append(t.sensitive, e.Path)
		}
	case audit.KindNetworkAnomaly:
		if stage, _ := e.Fields["stage"].(string); stage != "" && stage != "game" {
			return
		}
		t.anomCount++
		if len(t.anomalies) < maxTracked {
			t.anomalies = append(t.anomalies, strings.TrimSpace(e.Rule+" "+e.Target))
		}
	case audit.KindProcess:
		if e.Decision == audit.DecisionDeny {
			t.denials++
		}
		if t.spawnPIDs[e.PID] || !audit.GameStart(e, t.mainExe) {
			return
		}
		t.spawnPIDs[e.PID] = true
		t.spawnCount++
		if len(t.spawns) < maxTracked {
			t.spawns = append(t.spawns, e.Image)
		}
	case audit.KindProcessExit:
		delete(t.spawnPIDs, e.PID)
	case audit.KindNetwork:
		if networkRefused(e) {
			t.denials++
		}
	case audit.KindPolicyRace, audit.KindProcessLimit, audit.KindRateLimit:
		t.denials++
	case audit.KindDenial:
		if e.Decision == audit.DecisionNeutralized || e.Rule == "planted_symlink" {
			t.denials++
		}
	}
}

// networkRefused reports a network attempt the sandbox refused: a denied
// call, or in offline mode a destination outside the sandbox's own
// loopback, which the kernel fails because the sandbox has no other
// interface. Restrict-mode refusals also count as anomalies.
//
// NOTE: network events are written only with destination_monitoring on, so
// with it off an offline game's attempts do not make its session unclean.
func networkRefused(e audit.Event) bool {
	if e.Decision == audit.DecisionDeny {
		return true
	}
	if mode, _ := e.Fields["mode"].(string); mode != "offline" {
		return false
	}
	ip, _ := e.Fields["ip"].(string)
	addr, err := netip.ParseAddr(ip)
	return err == nil && !addr.IsLoopback() && !addr.IsUnspecified()
}

// Session returns the counts so far as a Session with the given identity.
func (t *Tally) Session(s Session) Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.Sensitive = slices.Clone(t.sensitive)
	s.Anomalies = padded(t.anomalies, t.anomCount)
	s.Spawns = padded(t.spawns, t.spawnCount)
	s.Denials = t.denials
	return s
}

// padded returns names extended to count entries, so that the length of
// the result is the true count even when names stopped being recorded.
func padded(names []string, count int) []string {
	out := slices.Clone(names)
	for len(out) < count {
		out = append(out, "")
	}
	return out
}

// Emergency returns a short description when e is a sensitive-access
// attempt or a blocked escape, the events that warrant interrupting the
// user with a desktop notification.
func Emergency(e audit.Event) (string, bool) {
	switch e.Kind {
	case audit.KindSensitiveAccess:
		if e.Path != "" {
			return "opened the decoy " + e.Path + ", where stealers look for secrets", true
		}
	case audit.KindProcess:
		if e.Decision == audit.DecisionDeny && e.Rule != "supervisor" {
			return "tried to start " + e.Image + ", which was blocked", true
		}
	case audit.KindPolicyRace:
		if e.Decision == audit.DecisionKilled {
			return "swapped a program while it was being checked, and was stopped", true
		}
	case audit.KindDenial:
		if e.Rule == "planted_symlink" {
			return "left a symlink to " + e.Target + " in its home, which was moved away", true
		}
	}
	return "", false
}
