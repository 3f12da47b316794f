package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/report")

// goldenRedactor is the home and user name of the recorded session in
// testdata/report/session.jsonl.
var goldenRedactor = Redactor{Home: "/home/alice", User: "alice"}

func goldenReport(t *testing.T) Report {
	t.Helper()
	r, err := LoadReport(filepath.Join("testdata", "report", "session.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return goldenRedactor.Report(r)
}

// checkGolden compares got with the golden file name, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "report", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./audit -run Report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./audit -run Report -update and review the diff.\ngot:\n%s", name, got)
	}
}

func TestReportGoldenText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteReportText(&buf, goldenReport(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.txt", buf.Bytes())
	if lines := strings.Count(buf.String(), "\n"); lines > 60 {
		t.Errorf("text report has %d lines, want a short report", lines)
	}
	if strings.Contains(buf.String(), "alice") {
		t.Error("redacted text report still names the user")
	}
}

func TestReportGoldenJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteReportJSON(&buf, goldenReport(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.json", buf.Bytes())
	if strings.Contains(buf.String(), "alice") {
		t.Error("redacted JSON report still names the user")
	}
	var decoded Report
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatalf("JSON report does not decode: %v", err)
	}
}

// TestReportGoldenContent checks the facts of the golden session, so that
// an -update cannot silently accept a wrong report.
func TestReportGoldenContent(t *testing.T) {
	r := goldenReport(t)

	if r.Session.ID != "20261204T220227Z-84a4ca0a" || r.Session.GameID != "w1" || r.Session.Exe != "~/g/probe.exe" {
		t.Errorf("session %q game %q exe %q", r.Session.ID, r.Session.GameID, r.Session.Exe)
	}
	if !r.Session.Ended || r.Session.ExitCode == nil || *r.Session.ExitCode != 0 || r.Session.DurationMS != 17300 {
		t.Errorf("exit: ended %v code %v duration %d ms, want ended with 0 after 17300 ms", r.Session.Ended, r.Session.ExitCode, r.Session.DurationMS)
	}
	if len(r.Layers) != 7 {
		t.Errorf("%d layers, want 7", len(r.Layers))
	}

	b := r.Blocked
	if len(b.SensitiveAccess) != 3 || b.SensitiveAccess[0].Name != "~/.ssh/id_rsa" || b.SensitiveAccess[0].Count != 3 {
		t.Errorf("sensitive access %+v, want 3 decoys with ~/.ssh/id_rsa opened 3 times first", b.SensitiveAccess)
	}
	if len(b.Programs) != 1 || b.Programs[0].Rule != "process.allow_shell_execution" ||
		b.Programs[0].Name != "~/.local/share/winewarden/prefixes/w1/dosdevices/z:/bin/sh" {
		t.Errorf("denied programs %+v", b.Programs)
	}
	if len(b.Connections) != 3 || b.Connections[0].Name != "198.51.100.7:8080" || b.Connections[0].Count != 4 {
		t.Errorf("denied connections %+v, want 198.51.100.7:8080 four times (from the summary) first", b.Connections)
	}
	for _, c := range b.Connections[1:] {
		if c.Stage != stagePrefixInit {
			t.Errorf("denied connection %+v of the prefix creation lacks its stage", c)
		}
	}
	if len(b.DNS) != 2 {
		t.Errorf("denied DNS queries %+v, want 2", b.DNS)
	}

	n := r.Network
	if n.Source != "network_summary" || n.UniqueDestinations != 3 || len(n.Destinations) != 3 {
		t.Errorf("network source %q, %d unique, %d listed", n.Source, n.UniqueDestinations, len(n.Destinations))
	}
	if len(n.Anomalies) != 2 {
		t.Errorf("game anomalies %+v, want dns_txt and unresolved_ip only", n.Anomalies)
	}
	for _, a := range n.Anomalies {
		if strings.HasSuffix(a.Target, ":631") {
			t.Errorf("anomaly %+v of the prefix creation is listed as the game's", a)
		}
	}
	if r.PrefixInit == nil || len(r.PrefixInit.Anomalies) != 2 {
		t.Fatalf("prefix creation %+v, want its 2 anomalies", r.PrefixInit)
	}
	if len(n.DNS) != 4 {
		t.Errorf("%d DNS queries, want 4", len(n.DNS))
	}

	programs := map[string]Program{}
	for _, p := range r.Programs {
		programs[p.Name] = p
	}
	if p := programs["~/g/probe.exe"]; p.Allowed != 1 || !p.Main || p.Wine {
		t.Errorf("main .exe %+v, want one start, main, not Wine's", p)
	}
	if p := programs["hello.exe"]; p.Allowed != 1 || p.Wine {
		t.Errorf("hello.exe %+v, want one start by the game", p)
	}
	if p := programs[`C:\windows\system32\winedevice.exe`]; p.Allowed != 2 || !p.Wine {
		t.Errorf("winedevice.exe %+v, want two starts of Wine's own (two pids)", p)
	}

	if !r.Trust.Updated || r.Trust.Update.ScoreAfter != 16 || len(r.Trust.Update.Changes) != 5 {
		t.Errorf("trust %+v", r.Trust)
	}
	if r.Trust.Start == nil || r.Trust.Start.Profile == nil || r.Trust.Start.Profile.MaxChildProcesses != 50 {
		t.Errorf("trust start %+v", r.Trust.Start)
	}
}

func TestReportWineReexecCountsOnce(t *testing.T) {
	chain := []any{"winewarden-init"}
	start := func(pid int, path, image string) Event {
		f := map[string]any{"path": path, "chain": chain}
		if image != "" {
			f["windows_image"] = image
		}
		return Event{Kind: KindProcess, Decision: DecisionAllow, PID: pid, Image: image, Fields: f}
	}
	events := []Event{
		start(6, "/usr/bin/wine", ""),
		start(6, "/usr/lib/wine/wine64", "game.exe"),
		start(6, "/usr/lib/wine/wine64-preloader", "game.exe"),
		start(6, "/usr/lib/wine/wine64", "game.exe"),
		start(7, "/usr/lib/wine/wine-preloader", "game.exe"),
		{Kind: KindProcessExit, PID: 6},
		start(6, "/usr/lib/wine/wine64", "game.exe"),
	}
	r := BuildReport(events)
	for _, p := range r.Programs {
		if p.Name == "game.exe" && p.Allowed != 3 {
			t.Errorf("game.exe counted %d times, want 3 (pid 6 twice around its exit, pid 7 once)", p.Allowed)
		}
		if p.Name == "/usr/bin/wine" && !p.Wine {
			t.Error("the wine launcher is not marked as Wine's own")
		}
	}
}

func TestReportBlockedStartCountsOnce(t *testing.T) {
	deny := func(pid int, loader string) Event {
		return Event{Kind: KindProcess, Decision: DecisionDeny, Rule: "process.allow_shell_execution", PID: pid, Image: "cmd.exe",
			Fields: map[string]any{"path": loader, "windows_image": "cmd.exe"}}
	}
	events := []Event{
		// One start, refused for both loaders Wine tries.
		deny(9, "/usr/lib/wine/wine64-preloader"),
		deny(9, "/usr/lib/wine/wine64"),
		{Kind: KindProcessExit, PID: 9},
		// The pid used again for a new attempt.
		deny(9, "/usr/lib/wine/wine64-preloader"),
		deny(12, "/usr/lib/wine/wine64-preloader"),
		deny(12, "/usr/lib/wine/wine64"),
	}
	r := BuildReport(events)
	if len(r.Blocked.Programs) != 1 || r.Blocked.Programs[0].Count != 3 {
		t.Errorf("blocked programs %+v, want cmd.exe 3 times", r.Blocked.Programs)
	}
}

func TestReportWineOwnPrograms(t *testing.T) {
	game := []any{"winewarden-init", `Z:\games\game.exe`}
	start := func(pid int, image string, chain []any) Event {
		return Event{Kind: KindProcess, Decision: DecisionAllow, PID: pid, Fields: map[string]any{
			"path": "/usr/lib/wine/wine64", "windows_image": image, "chain": chain}}
	}
	events := []Event{
		// Wine starts wineboot.exe and the services below it from inside
		// the game's own process.
		start(9, `C:\windows\system32\wineboot.exe`, game),
		start(10, `C:\windows\system32\services.exe`, append(append([]any{}, game...), `C:\windows\system32\wineboot.exe`)),
		// A service's name outside the system directories is the game's,
		start(11, `C:\users\alice\Temp\svchost.exe`, game),
		// and so is whatever a program of the game starts.
		start(12, `C:\windows\system32\cmd.exe`, append(append([]any{}, game...), `C:\users\alice\Temp\svchost.exe`)),
	}
	wine := map[string]bool{}
	for _, p := range BuildReport(events).Programs {
		wine[p.Name] = p.Wine
	}
	want := map[string]bool{
		`C:\windows\system32\wineboot.exe`: true,
		`C:\windows\system32\services.exe`: true,
		`C:\users\alice\Temp\svchost.exe`:  false,
		`C:\windows\system32\cmd.exe`:      false,
	}
	for name, w := range want {
		if got, ok := wine[name]; !ok || got != w {
			t.Errorf("%s: Wine's own %v (listed %v), want %v", name, got, ok, w)
		}
	}
	for _, e := range events {
		if GameStart(e, "/games/game.exe") == want[e.Fields["windows_image"].(string)] {
			t.Errorf("GameStart(%s) disagrees with WineProgram", e.Fields["windows_image"])
		}
	}
}

func TestReportWithoutExitOrTrustUpdate(t *testing.T) {
	events := readGoldenEvents(t)
	var cut []Event
	for _, e := range events {
		if e.Kind == KindExit || (e.Kind == KindTrust && e.Detail == trustUpdateDetail) {
			continue
		}
		cut = append(cut, e)
	}
	r := BuildReport(cut)

	if r.Session.Ended {
		t.Error("session without an exit event reported as ended")
	}
	if r.Trust.Updated || r.Trust.Update != nil || !strings.Contains(r.Trust.NotUpdatedReason, "did not end cleanly") {
		t.Errorf("trust %+v, want not updated because the session did not end", r.Trust)
	}
	if !hasWarning(r, "no_exit") {
		t.Errorf("warnings %+v lack no_exit", r.Warnings)
	}
	text := reportText(t, r)
	for _, want := range []string{"no exit recorded", "Trust: not updated", "still running or did not end cleanly"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
}

func TestReportTrustWriteError(t *testing.T) {
	events := []Event{
		{Kind: KindTrust, Detail: trustUpdateDetail, Fields: map[string]any{
			"score_before": 50.0, "score_after": 52.0, "tier_before": "yellow", "tier_after": "yellow",
			"changes": []any{map[string]any{"delta": 2.0, "reason": "1 h of clean play"}}, "clean": true,
			"trend": "rising", "write_error": "open trust.json: read-only file system",
		}},
		{Kind: KindExit, ExitCode: new(int)},
	}
	r := BuildReport(events)
	if r.Trust.Updated || !strings.Contains(r.Trust.NotUpdatedReason, "read-only file system") {
		t.Errorf("trust %+v, want not updated with the write error", r.Trust)
	}
	text := reportText(t, r)
	if !strings.Contains(text, "not saved, because saving the trust state failed") || !strings.Contains(text, "+2") {
		t.Errorf("text report lacks the unsaved change:\n%s", text)
	}
}

// TestReportTrustEventsWithGoTypes reads trust events as the wrapper builds
// them in memory, with structs and named types instead of JSON values.
func TestReportTrustEventsWithGoTypes(t *testing.T) {
	type status string
	type profile struct {
		NetworkMode         string `json:"network_mode"`
		AllowShellExecution bool   `json:"allow_shell_execution"`
		MaxChildProcesses   int    `json:"max_child_processes"`
		Filesystem          string `json:"filesystem"`
	}
	type change struct {
		Delta  int    `json:"delta"`
		Reason string `json:"reason"`
	}
	events := []Event{
		{Kind: KindTrust, Detail: trustStartDetail, Path: "/state/trust.json", Fields: map[string]any{
			"game_id": "g", "tier": "green", "score": 80, "state": status("invalid"), "state_detail": "HMAC mismatch",
			"profile": profile{NetworkMode: "observe", AllowShellExecution: true, MaxChildProcesses: 64, Filesystem: "strict"},
		}},
		{Kind: KindTrust, Detail: trustUpdateDetail, Fields: map[string]any{
			"score_before": 80, "score_after": 82, "tier_before": "green", "tier_after": "green",
			"changes": []change{{Delta: 2, Reason: "1 h of clean play"}}, "clean": true, "trend": "steady",
		}},
		{Kind: KindExit, ExitCode: new(int)},
	}
	tr := BuildReport(events).Trust
	if tr.Start == nil || tr.Start.State != "invalid" || tr.Start.StatePath != "/state/trust.json" {
		t.Fatalf("trust start %+v", tr.Start)
	}
	if p := tr.Start.Profile; p == nil || p.NetworkMode != "observe" || !p.AllowShellExecution || p.MaxChildProcesses != 64 || p.Filesystem != "strict" {
		t.Errorf("profile %+v", tr.Start.Profile)
	}
	if !tr.Updated || len(tr.Update.Changes) != 1 || tr.Update.Changes[0].Delta != 2 {
		t.Errorf("trust update %+v", tr.Update)
	}
	text := reportText(t, BuildReport(events))
	if !strings.Contains(text, "trust state invalid: HMAC mismatch") {
		t.Errorf("text report lacks the state detail:\n%s", text)
	}
}

func TestReportEmptyLog(t *testing.T) {
	r := BuildReport(nil)
	if r.Blocked.Total != 0 || len(r.Programs) != 0 || r.PrefixInit != nil {
		t.Errorf("empty log gave %+v", r)
	}
	text := reportText(t, r)
	for _, want := range []string{"Nothing was blocked.", "the log has no events"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report of an empty log lacks %q:\n%s", want, text)
		}
	}
	var buf bytes.Buffer
	if err := WriteReportJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "null") {
		t.Errorf("JSON of an empty report has null lists:\n%s", buf.String())
	}
}

func TestReportTruncatedLog(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "report", "session.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.jsonl")
	if err := os.WriteFile(path, append(data, `{"time":"2026-12-04T22:02:46Z","kind":"net`...), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Session.Truncated || !hasWarning(r, "truncated") {
		t.Errorf("truncated log: Truncated %v, warnings %+v", r.Session.Truncated, r.Warnings)
	}
}

func TestReportNothingBlocked(t *testing.T) {
	events := []Event{
		{Kind: KindSessionStart, Fields: map[string]any{"game_id": "calm", "argv": []string{"wine", "calm.exe"}}},
		{Kind: KindLayer, Layer: "landlock", InForce: new(bool), Detail: "kernel ABI 0"},
		{Kind: KindExit, ExitCode: new(int), Fields: map[string]any{"duration_ms": int64(1500)}},
	}
	text := reportText(t, BuildReport(events))
	for _, want := range []string{"Nothing was blocked.", "NOT in force: landlock (kernel ABI 0)", "ran 1.5s, exit code 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
}

func TestReportEventsDroppedAndWarnings(t *testing.T) {
	events := []Event{
		{Kind: KindEventsDropped, Fields: map[string]any{"dropped": 5, "dropped_total": 5}},
		{Kind: KindEventsDropped, Fields: map[string]any{"dropped": 7.0, "dropped_total": 12.0}},
		{Kind: KindWarning, Rule: "game_id", Detail: "the .exe differs from an earlier run"},
		{Kind: KindNotEnforced, Rule: "winewarden.emergency_only = true", Detail: "parsed but not enforced by this version"},
	}
	r := BuildReport(events)
	var dropped int
	for _, w := range r.Warnings {
		if w.Kind == "events_dropped" {
			dropped = w.Count
		}
	}
	if dropped != 12 {
		t.Errorf("dropped events counted as %d, want 12", dropped)
	}
	text := reportText(t, r)
	for _, want := range []string{"12 events were lost", "the .exe differs from an earlier run", "winewarden.emergency_only = true"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
}

// TestReportTextCapsLists fills every list of the text report beyond the
// cap and checks that each one ends in "... and N more".
func TestReportTextCapsLists(t *testing.T) {
	const n = maxListItems + 5
	var events []Event
	for i := range n {
		host := fmt.Sprintf("192.0.2.%d:443", i)
		name := fmt.Sprintf("host%d.test", i)
		events = append(events,
			Event{Kind: KindSensitiveAccess, Path: fmt.Sprintf("~/secret%d", i), Decision: DecisionDeny, Rule: "decoy"},
			Event{Kind: KindProcess, Decision: DecisionDeny, Rule: "process.blocked_patterns", Fields: map[string]any{"path": fmt.Sprintf("/usr/bin/tool%d", i)}},
			Event{Kind: KindPolicyRace, Decision: DecisionKilled, Rule: "post_exec_check", Path: fmt.Sprintf("/usr/bin/race%d", i)},
			Event{Kind: KindProcessLimit, Decision: DecisionDeny, Rule: "process.max_child_processes", Image: fmt.Sprintf("fork%d.exe", i)},
			Event{Kind: KindRateLimit, Decision: DecisionDeny, Rule: "network.connection_rate_limit", Image: fmt.Sprintf("flood%d.exe", i)},
			Event{Kind: KindNetwork, Decision: DecisionDeny, Target: host, Fields: map[string]any{"family": "inet", "ip": "192.0.2.1", "port": 443}},
			Event{Kind: KindNetwork, Decision: DecisionAllow, Target: fmt.Sprintf("/run/sock%d", i), Fields: map[string]any{"family": "unix"}},
			Event{Kind: KindDNS, Decision: DecisionDeny, Target: name, Fields: map[string]any{"name": name, "type": "A"}},
			Event{Kind: KindNetworkAnomaly, Rule: "unresolved_ip", Target: host},
			Event{Kind: KindDenial, Decision: DecisionNeutralized, Rule: "planted_symlink", Path: fmt.Sprintf("~/link%d", i), Target: "/etc"},
			Event{Kind: KindDenial, Decision: DecisionDeny, Rule: "sandbox", Detail: fmt.Sprintf("failure %d", i)},
			Event{Kind: KindWarning, Detail: fmt.Sprintf("warning %d", i)},
			Event{Kind: KindNotEnforced, Rule: fmt.Sprintf("setting%d = true", i)},
		)
	}
	for i, name := range sortedKeys(wineServices) {
		events = append(events, Event{Kind: KindProcess, Decision: DecisionAllow, PID: 1000 + i, Fields: map[string]any{
			"path": "/usr/lib/wine/wine64", "windows_image": `C:\windows\system32\` + name, "chain": []any{"winewarden-init"}}})
	}
	events = append(events, Event{Kind: KindTrust, Detail: trustUpdateDetail, Fields: map[string]any{"changes": changes(n)}},
		Event{Kind: KindExit, ExitCode: new(int)})
	text := reportText(t, BuildReport(events))

	// Nine blocked lists, the trust changes, destinations, anomalies, DNS
	// queries, local sockets and programs each hold n entries.
	more := fmt.Sprintf("... and %d more", n-maxListItems)
	if got, want := strings.Count(text, more), 15; got != want {
		t.Errorf("%q appears %d times, want %d (one per list):\n%s", more, got, want, text)
	}
	// The warnings are n warning events and one line for the n settings.
	if want := fmt.Sprintf("... and %d more", n+1-maxListItems); !strings.Contains(text, want) {
		t.Errorf("warnings do not end in %q:\n%s", want, text)
	}
	if want := fmt.Sprintf("Wine's own: %s", "conhost.exe"); !strings.Contains(text, want) ||
		!strings.Contains(text, fmt.Sprintf("... and %d more", len(wineServices)-maxListItems)) {
		t.Errorf("Wine's own programs are not capped:\n%s", text)
	}
	// Names sort as strings, so the ninth and later are 5 to 9.
	for _, absent := range []string{"~/secret9", "tool9", "host9.test"} {
		if strings.Contains(text, absent) {
			t.Errorf("capped list shows %q:\n%s", absent, text)
		}
	}
}

func changes(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"delta": -1.0, "reason": fmt.Sprintf("change %d", i)}
	}
	return out
}

// TestReportHugeLog builds a report from many events, to catch work that
// grows with the square of the log.
func TestReportHugeLog(t *testing.T) {
	const n = 100_000
	events := make([]Event, 0, n)
	t0 := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	for i := range n {
		e := Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Session: "huge", PID: i % 5000}
		switch i % 5 {
		case 0:
			e.Kind, e.Decision = KindProcess, DecisionAllow
			e.Fields = map[string]any{"path": "/usr/lib/wine/wine64", "windows_image": fmt.Sprintf("prog%d.exe", i%3000)}
		case 1:
			e.Kind, e.Decision, e.Target = KindNetwork, DecisionAllow, fmt.Sprintf("198.51.100.%d:%d", i%250, 1000+i%7000)
			e.Fields = map[string]any{"family": "inet", "protocol": "udp"}
		case 2:
			e.Kind, e.Decision = KindDNS, DecisionAllow
			e.Fields = map[string]any{"name": fmt.Sprintf("n%d.test", i%9000), "type": "A", "addresses": []any{"192.0.2.1"}}
		case 3:
			e.Kind, e.Rule, e.Target = KindNetworkAnomaly, "unresolved_ip", fmt.Sprintf("203.0.113.%d:%d", i%250, i)
		case 4:
			e.Kind, e.Path, e.Decision = KindSensitiveAccess, fmt.Sprintf("~/decoy%d", i%4000), DecisionDeny
		}
		events = append(events, e)
	}
	r := BuildReport(events)
	if r.Session.Events != n || len(r.Network.Anomalies) != n/5 {
		t.Errorf("report of %d events has %d events and %d anomalies", n, r.Session.Events, len(r.Network.Anomalies))
	}
	var buf bytes.Buffer
	if err := WriteReportText(&buf, r); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines > 80 {
		t.Errorf("text report of a huge log has %d lines", lines)
	}
	if err := WriteReportJSON(&bytes.Buffer{}, goldenRedactor.Report(r)); err != nil {
		t.Fatal(err)
	}
}

func TestReportTextEscapesControlCharacters(t *testing.T) {
	events := []Event{{Kind: KindProcess, Decision: DecisionDeny, Rule: "process.blocked_patterns",
		Fields: map[string]any{"path": "/tmp/x\x1b[2J\nfake line\u202e"}}}
	text := reportText(t, BuildReport(events))
	if strings.ContainsAny(text, "\x1b\u202e") || strings.Contains(text, "\nfake line") {
		t.Errorf("control characters reached the text report:\n%q", text)
	}
	if !strings.Contains(text, `/tmp/x\x1b[2J\nfake line\u202e`) {
		t.Errorf("escaped program name missing:\n%s", text)
	}
}

func TestReportDeterministic(t *testing.T) {
	events := readGoldenEvents(t)
	first := reportText(t, BuildReport(events))
	for range 5 {
		if again := reportText(t, BuildReport(events)); again != first {
			t.Fatal("two reports of the same log differ")
		}
	}
}

func readGoldenEvents(t *testing.T) []Event {
	t.Helper()
	events, err := Read(filepath.Join("testdata", "report", "session.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func reportText(t *testing.T, r Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReportText(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func hasWarning(r Report, kind string) bool {
	for _, w := range r.Warnings {
		if w.Kind == kind {
			return true
		}
	}
	return false
}
