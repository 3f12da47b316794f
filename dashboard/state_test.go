package dashboard

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

func replay(t *testing.T, path string) *State {
	t.Helper()
	events, err := audit.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewState()
	for _, e := range events {
		s.Apply(e)
	}
	return s
}

func TestStateRecordedSession(t *testing.T) {
	s := replay(t, "../audit/testdata/report/session.jsonl")
	if s.GameID == "" || s.Start.IsZero() || !s.Ended || s.ExitCode == nil {
		t.Errorf("header: game %q start %v ended %v exit %v", s.GameID, s.Start, s.Ended, s.ExitCode)
	}
	if s.Tier != "red" || s.ScoreAfter == nil || len(s.TrustChanges) == 0 {
		t.Errorf("trust: tier %q after %v changes %q", s.Tier, s.ScoreAfter, s.TrustChanges)
	}
	if len(s.Layers) == 0 {
		t.Error("no layers")
	}
	if s.Denials[audit.KindSensitiveAccess] == 0 || s.Denials[audit.KindProcess] == 0 {
		t.Errorf("denials %v", s.Denials)
	}
	blocked, exited := 0, 0
	for _, p := range s.Processes() {
		switch p.State {
		case ProcessBlocked:
			blocked++
		case ProcessExited:
			exited++
		}
	}
	if blocked == 0 || exited == 0 {
		t.Errorf("processes: %d blocked, %d exited of %d", blocked, exited, len(s.Processes()))
	}
	if len(s.Destinations()) == 0 || len(s.DNS) == 0 {
		t.Errorf("%d destinations, %d DNS queries", len(s.Destinations()), len(s.DNS))
	}
	if n := len(s.Events); n == 0 || s.Events[n-1].Kind != audit.KindExit {
		t.Errorf("event log of %d rows does not end with the exit", n)
	}
}

func TestStateRateWindow(t *testing.T) {
	s := NewState()
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		s.Apply(audit.Event{Time: base, Kind: audit.KindWarning, Detail: fmt.Sprint(i)})
	}
	s.Apply(audit.Event{Time: base.Add(2 * time.Second), Kind: audit.KindWarning})
	if s.Rate[rateSeconds-1] != 1 || s.Rate[rateSeconds-3] != 3 || s.Rate[rateSeconds-2] != 0 {
		t.Errorf("rate tail %v, want 3, 0, 1", s.Rate[rateSeconds-3:])
	}
	s.Apply(audit.Event{Time: base.Add(10 * time.Minute), Kind: audit.KindWarning})
	sum := 0
	for _, n := range s.Rate {
		sum += n
	}
	if sum != 1 {
		t.Errorf("after a long pause the window holds %d events, want 1", sum)
	}
}

func TestStateBounded(t *testing.T) {
	s := NewState()
	base := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range 20_000 {
		at := base.Add(time.Duration(i) * time.Millisecond)
		s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: i + 2, Image: "spawn.exe", Decision: audit.DecisionAllow})
		s.Apply(audit.Event{Time: at, Kind: audit.KindProcessExit, PID: i + 2})
		s.Apply(audit.Event{Time: at, Kind: audit.KindNetwork, Target: fmt.Sprintf("192.0.2.%d:%d", i%250, i),
			Fields: map[string]any{"ip": fmt.Sprintf("192.0.2.%d", i%250), "port": float64(i), "protocol": "tcp"}})
		s.Apply(audit.Event{Time: at, Kind: audit.KindDNS, Target: fmt.Sprintf("n%d.test", i)})
	}
	if len(s.Events) > maxEvents || len(s.DNS) > maxDNS || len(s.Processes()) > maxProcesses || len(s.Destinations()) > maxDestinations {
		t.Errorf("bounds exceeded: %d rows, %d queries, %d processes, %d destinations",
			len(s.Events), len(s.DNS), len(s.Processes()), len(s.Destinations()))
	}
	if s.Dropped == 0 {
		t.Error("nothing counted as dropped")
	}
}

func TestStateProcessStages(t *testing.T) {
	s := NewState()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	start := func(pid, ppid int, image string, fields map[string]any) {
		f := map[string]any{"ppid": float64(ppid)}
		maps.Copy(f, fields)
		s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: pid, Image: image, Decision: audit.DecisionAllow, Fields: f})
	}
	prefix := map[string]any{"stage": StagePrefixInit}
	start(2, 1, "wineboot.exe", prefix)
	start(3, 2, "services.exe", prefix)
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcessExit, PID: 3, Fields: prefix})
	// The game's sandbox numbers its pids from 1 again.
	start(2, 1, "game.exe", nil)
	start(3, 2, "launcher.exe", nil)
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcessExit, PID: 3})
	// A pid used again is a process of its own.
	start(3, 2, "crash.exe", nil)

	var got []string
	for _, p := range s.Processes() {
		got = append(got, fmt.Sprintf("%s %d %s %s", p.Stage, p.PID, p.Image, p.State))
	}
	want := []string{
		"prefix_init 2 wineboot.exe running",
		"prefix_init 3 services.exe exited",
		" 2 game.exe running",
		" 3 launcher.exe exited",
		" 3 crash.exe running",
	}
	if !slices.Equal(got, want) {
		t.Errorf("processes\n%q\nwant\n%q", got, want)
	}
}

func TestStatePrefixSummaryClosesStage(t *testing.T) {
	// In logs whose process events name no stage, the prefix creation's
	// network summary marks everything before it as the prefix's.
	s := NewState()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: 2, Image: "wineboot.exe"})
	s.Apply(audit.Event{Time: at, Kind: audit.KindNetworkSummary, Fields: map[string]any{"stage": StagePrefixInit}})
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: 2, Image: "game.exe"})
	ps := s.Processes()
	if len(ps) != 2 || ps[0].Stage != StagePrefixInit || ps[0].State != ProcessExited || ps[1].Stage != "" || ps[1].State != ProcessRunning {
		t.Errorf("processes %+v", ps)
	}
}

func TestStateDenialCounts(t *testing.T) {
	s := NewState()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	prefix := map[string]any{"stage": StagePrefixInit}
	s.Apply(audit.Event{Time: at, Kind: audit.KindNetwork, Decision: audit.DecisionDeny, Target: "127.0.0.1:631", Fields: prefix})
	// One blocked start that Wine tried with two loaders.
	for range 2 {
		s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: 7, Image: "cmd.exe", Decision: audit.DecisionDeny})
	}
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: 8, Image: "cmd.exe", Decision: audit.DecisionDeny})
	// The pid used again after its exit.
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcessExit, PID: 7})
	s.Apply(audit.Event{Time: at, Kind: audit.KindProcess, PID: 7, Image: "cmd.exe", Decision: audit.DecisionDeny})
	s.Apply(audit.Event{Time: at, Kind: audit.KindRateLimit, Decision: audit.DecisionDeny, Fields: map[string]any{"refused": float64(40)}})

	if got := s.Denials[audit.KindProcess]; got != 3 {
		t.Errorf("%d blocked starts, want 3", got)
	}
	if got := len(s.Processes()); got != 3 {
		t.Errorf("%d processes, want 3", got)
	}
	if got := s.Denials[audit.KindRateLimit]; got != 40 {
		t.Errorf("%d refused by the rate limit, want 40", got)
	}
	if s.Denials[audit.KindNetwork] != 0 || s.PrefixDenials != 1 {
		t.Errorf("the prefix creation's denial was counted as the game's: %v, prefix %d", s.Denials, s.PrefixDenials)
	}
	for _, p := range s.Processes() {
		if p.State != ProcessBlocked || !p.End.Equal(at) {
			t.Errorf("blocked process %+v does not end where it started", p)
		}
	}
}

func TestStateDestinationNames(t *testing.T) {
	s := NewState()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	connect := func(domain string, fields map[string]any) {
		f := map[string]any{"ip": "203.0.113.10", "port": float64(443), "protocol": "tcp", "domain": domain}
		maps.Copy(f, fields)
		s.Apply(audit.Event{Time: at, Kind: audit.KindNetwork, Decision: audit.DecisionAllow, Fields: f})
	}
	connect("cdn.game.test", map[string]any{"stage": StagePrefixInit})
	for _, name := range []string{"host0.game.test", "host1.game.test", "host0.game.test", "host1.game.test"} {
		connect(name, nil)
	}
	var game, prefix []Destination
	for _, d := range s.Destinations() {
		if d.Stage == StagePrefixInit {
			prefix = append(prefix, d)
		} else {
			game = append(game, d)
		}
	}
	if len(game) != 1 || len(prefix) != 1 {
		t.Fatalf("%d game and %d prefix destinations, want 1 and 1", len(game), len(prefix))
	}
	if d := game[0]; d.Domain != "host0.game.test" || d.OtherDomains != 1 || d.Count != 4 {
		t.Errorf("game destination %+v, want host0.game.test +1 used 4 times", d)
	}
}
