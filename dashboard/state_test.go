package dashboard

import (
	"fmt"
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
