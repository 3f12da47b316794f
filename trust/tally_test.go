package trust

import (
	"slices"
	"strings"
	"testing"

	"github.com/winewarden/winewarden/audit"
)

func TestTallyRecordedSession(t *testing.T) {
	// A real session: probe.exe started hello.exe, and Wine started its
	// own helpers (wineserver, wineboot and the services below it).
	events, err := audit.Read("testdata/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tally := NewTally("/home/alice/g/probe.exe")
	for _, e := range events {
		tally.Add(e)
	}
	s := tally.Session(Session{})
	if !slices.Equal(s.Spawns, []string{"hello.exe"}) {
		t.Errorf("spawns %q, want only hello.exe", s.Spawns)
	}
	if !s.Clean() || s.Denials != 0 {
		t.Errorf("recorded session not clean: %+v", s)
	}
}

// event builds an event. A process event gets the fields the supervisor
// sets: windows_image for a Windows program, path for a Linux one.
func event(kind string, mod func(*audit.Event)) audit.Event {
	e := audit.Event{Kind: kind, Fields: map[string]any{}}
	mod(&e)
	if kind == audit.KindProcess {
		if strings.Contains(e.Image, `\`) || strings.HasSuffix(e.Image, ".exe") {
			e.Fields["windows_image"] = e.Image
			e.Fields["path"] = "/usr/lib/wine/wine64"
		} else {
			e.Fields["path"] = e.Image
		}
	}
	return e
}

func TestTallyCounts(t *testing.T) {
	game := []string{"winewarden-init", "/games/x/game.exe"}
	events := []audit.Event{
		event(audit.KindSensitiveAccess, func(e *audit.Event) { e.Path = "~/.ssh/id_rsa" }),
		event(audit.KindSensitiveAccess, func(e *audit.Event) { e.Path = "~/.ssh/id_rsa" }),
		event(audit.KindSensitiveAccess, func(e *audit.Event) { e.Path = "~/.mozilla/firefox/profiles.ini" }),
		event(audit.KindSensitiveAccess, func(e *audit.Event) { e.Detail = "decoy opens this session" }),
		event(audit.KindNetworkAnomaly, func(e *audit.Event) {
			e.Rule, e.Target, e.Fields["stage"] = "unresolved_ip", "192.0.2.1:443", "game"
		}),
		event(audit.KindNetworkAnomaly, func(e *audit.Event) {
			e.Rule, e.Target, e.Fields["stage"] = "unresolved_ip", "127.0.0.1:631", "prefix_init"
		}),
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision, e.Rule = 40, `C:\windows\system32\cmd.exe`, audit.DecisionDeny, "process.allow_shell_execution"
			e.Fields["chain"] = game
		}),
		// The same process trying again counts once as a program.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 40, `/bin/sh`, audit.DecisionDeny
			e.Fields["chain"] = game
		}),
		// A dropper in %TEMP% with the game's own name is another program.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 41, `C:\users\alice\Temp\game.exe`, audit.DecisionAllow
			e.Fields["chain"] = []any{"winewarden-init", "/games/x/game.exe"}
		}),
		// The game starting itself again is not.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 42, `Z:\games\x\game.exe`, audit.DecisionAllow
			e.Fields["chain"] = game
		}),
		// Wine's helpers and their children are not.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 43, `C:\windows\system32\wineboot.exe`, audit.DecisionAllow
			e.Fields["chain"] = game
		}),
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 44, `C:\windows\system32\rundll32.exe`, audit.DecisionAllow
			e.Fields["chain"] = append(slices.Clone(game), `C:\windows\system32\wineboot.exe`)
		}),
		// A helper's name outside the system directory is the game's.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 45, `C:\users\alice\svchost.exe`, audit.DecisionAllow
			e.Fields["chain"] = game
		}),
		// Processes before the first Windows program are the launcher's.
		event(audit.KindProcess, func(e *audit.Event) {
			e.PID, e.Image, e.Decision = 46, `/usr/bin/dpkg`, audit.DecisionAllow
			e.Fields["chain"] = []string{"winewarden-init", "/usr/bin/wine"}
		}),
		event(audit.KindPolicyRace, func(e *audit.Event) { e.Decision = audit.DecisionKilled }),
		// Offline: a lookup refused at once, and a connect the kernel
		// fails, count. The sandbox's own loopback does not.
		event(audit.KindNetwork, func(e *audit.Event) {
			e.Decision, e.Fields["mode"], e.Fields["ip"] = audit.DecisionDeny, "offline", "127.0.0.53"
		}),
		event(audit.KindNetwork, func(e *audit.Event) {
			e.Decision, e.Fields["mode"], e.Fields["ip"] = audit.DecisionAllow, "offline", "203.0.113.9"
		}),
		event(audit.KindNetwork, func(e *audit.Event) {
			e.Decision, e.Fields["mode"], e.Fields["ip"] = audit.DecisionAllow, "offline", "127.0.0.1"
		}),
		event(audit.KindNetwork, func(e *audit.Event) {
			e.Decision, e.Fields["mode"], e.Fields["ip"] = audit.DecisionAllow, "observe", "203.0.113.9"
		}),
		event(audit.KindDenial, func(e *audit.Event) { e.Rule = "sandbox" }),
	}
	tally := NewTally("/games/x/game.exe")
	for _, e := range events {
		tally.Add(e)
	}
	s := tally.Session(Session{})
	if !slices.Equal(s.Sensitive, []string{"~/.ssh/id_rsa", "~/.mozilla/firefox/profiles.ini"}) {
		t.Errorf("sensitive %q", s.Sensitive)
	}
	if !slices.Equal(s.Anomalies, []string{"unresolved_ip 192.0.2.1:443"}) {
		t.Errorf("anomalies %q", s.Anomalies)
	}
	want := []string{`C:\windows\system32\cmd.exe`, `C:\users\alice\Temp\game.exe`, `C:\users\alice\svchost.exe`}
	if !slices.Equal(s.Spawns, want) {
		t.Errorf("spawns %q, want %q", s.Spawns, want)
	}
	if s.Denials != 5 {
		t.Errorf("denials %d, want 5 (two denied starts, one policy race, two offline network attempts)", s.Denials)
	}
}

func TestTallyPIDReuse(t *testing.T) {
	tally := NewTally("")
	start := event(audit.KindProcess, func(e *audit.Event) {
		e.PID, e.Image = 50, "a.exe"
		e.Fields["chain"] = []string{"game.exe"}
	})
	tally.Add(start)
	tally.Add(event(audit.KindProcessExit, func(e *audit.Event) { e.PID = 50 }))
	tally.Add(start)
	if n := len(tally.Session(Session{}).Spawns); n != 2 {
		t.Errorf("%d spawns, want 2 for two processes with one pid", n)
	}
}

func TestEmergency(t *testing.T) {
	cases := []struct {
		e    audit.Event
		want bool
	}{
		{audit.Event{Kind: audit.KindSensitiveAccess, Path: "~/.ssh/id_rsa"}, true},
		{audit.Event{Kind: audit.KindSensitiveAccess}, false},
		{audit.Event{Kind: audit.KindProcess, Decision: audit.DecisionDeny, Image: "cmd.exe"}, true},
		{audit.Event{Kind: audit.KindProcess, Decision: audit.DecisionAllow, Image: "cmd.exe"}, false},
		{audit.Event{Kind: audit.KindPolicyRace, Decision: audit.DecisionKilled}, true},
		{audit.Event{Kind: audit.KindDenial, Rule: "planted_symlink", Target: "/home/a/.ssh"}, true},
		{audit.Event{Kind: audit.KindNetwork, Decision: audit.DecisionDeny}, false},
	}
	for _, c := range cases {
		if _, got := Emergency(c.e); got != c.want {
			t.Errorf("Emergency(%+v) = %v, want %v", c.e, got, c.want)
		}
	}
}
