package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func createLog(t *testing.T) *Log {
	t.Helper()
	l, err := Create(t.TempDir(), "test-session")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return l
}

func TestLogRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "sessions")
	l, err := Create(dir, "20261204T201500Z-1a2b3c4d")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if want := filepath.Join(dir, "20261204T201500Z-1a2b3c4d.jsonl"); l.Path() != want {
		t.Errorf("Path() = %q, want %q", l.Path(), want)
	}

	start := time.Date(2026, 12, 4, 21, 15, 0, 0, time.FixedZone("CET", 3600))
	sent := []Event{
		{Time: start, Kind: KindSessionStart, Fields: map[string]any{"game_id": "steam:620", "argv": []string{"game.exe", "-windowed"}}},
		{Kind: KindLayer, Layer: "landlock", InForce: new(true)},
		{Kind: KindLayer, Layer: "userns", InForce: new(false), Detail: "steam profile"},
		{Kind: KindDenial, Path: "/home/u/.ssh/id_ed25519", Decision: DecisionDeny, Rule: "sacred_zone:SSH keys", PID: 4242, Image: "game.exe"},
		{Kind: KindExit, ExitCode: new(0)},
	}
	for _, e := range sent {
		if err := l.Emit(e); err != nil {
			t.Fatalf("Emit(%s): %v", e.Kind, err)
		}
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode = %o, want 700", perm)
	}

	got, err := Read(l.Path())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(got) != len(sent) {
		t.Fatalf("Read returned %d events, want %d", len(got), len(sent))
	}
	for i, e := range got {
		if e.Session != "20261204T201500Z-1a2b3c4d" {
			t.Errorf("event %d: Session = %q", i, e.Session)
		}
		if e.Kind != sent[i].Kind {
			t.Errorf("event %d: Kind = %q, want %q", i, e.Kind, sent[i].Kind)
		}
		if e.Time.IsZero() || e.Time.Location() != time.UTC {
			t.Errorf("event %d: Time = %v, want a non-zero UTC time", i, e.Time)
		}
	}

	if !got[0].Time.Equal(start) {
		t.Errorf("session_start Time = %v, want %v", got[0].Time, start)
	}
	if got[0].Fields["game_id"] != "steam:620" {
		t.Errorf("session_start Fields = %v", got[0].Fields)
	}
	if argv, ok := got[0].Fields["argv"].([]any); !ok || len(argv) != 2 || argv[1] != "-windowed" {
		t.Errorf("session_start argv = %#v", got[0].Fields["argv"])
	}
	if got[1].InForce == nil || !*got[1].InForce {
		t.Errorf("landlock InForce = %v, want true", got[1].InForce)
	}
	if got[2].InForce == nil || *got[2].InForce {
		t.Errorf("userns InForce = %v, want false", got[2].InForce)
	}
	denial := got[3]
	if denial.Path != sent[3].Path {
		t.Errorf("denial Path = %q, want %q", denial.Path, sent[3].Path)
	}
	if denial.Decision != DecisionDeny {
		t.Errorf("denial Decision = %q, want %q", denial.Decision, DecisionDeny)
	}
	if denial.Rule != sent[3].Rule {
		t.Errorf("denial Rule = %q, want %q", denial.Rule, sent[3].Rule)
	}
	if denial.PID != 4242 {
		t.Errorf("denial PID = %d, want 4242", denial.PID)
	}
	if denial.Image != "game.exe" {
		t.Errorf("denial Image = %q, want game.exe", denial.Image)
	}
	if got[4].ExitCode == nil || *got[4].ExitCode != 0 {
		t.Errorf("exit ExitCode = %v, want 0", got[4].ExitCode)
	}
}

func TestEventOmitsEmptyFields(t *testing.T) {
	line, err := encodeLine(Event{Time: time.Unix(0, 0).UTC(), Session: "s", Kind: KindWarning})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"1970-01-01T00:00:00Z","session":"s","kind":"warning"}` + "\n"
	if string(line) != want {
		t.Errorf("encoded = %s, want %s", line, want)
	}
}

func TestCreateFileMode(t *testing.T) {
	l := createLog(t)
	defer l.Close()

	info, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %o, want 600", perm)
	}
}

func TestCreateRejectsExistingFile(t *testing.T) {
	dir := t.TempDir()
	first, err := Create(dir, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Emit(Event{Kind: KindSessionStart}); err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	_, err = Create(dir, "s1")
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create error = %v, want fs.ErrExist", err)
	}
	events, err := Read(first.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Errorf("existing log has %d events after second Create, want 1", len(events))
	}
}

func TestCreateRejectsBadSessionID(t *testing.T) {
	for _, session := range []string{"../x", "", ".hidden", "..", "a/b", "a b", "a\x00b", strings.Repeat("a", maxSessionLen+1)} {
		dir := filepath.Join(t.TempDir(), "sessions")
		_, err := Create(dir, session)
		if !errors.Is(err, ErrInvalidSession) {
			t.Errorf("Create(%q) error = %v, want ErrInvalidSession", session, err)
		}
		if _, statErr := os.Stat(dir); !errors.Is(statErr, fs.ErrNotExist) {
			t.Errorf("Create(%q) made the directory before rejecting the id", session)
		}
	}

	for _, session := range []string{"a", "a.b_c-D9", strings.Repeat("a", maxSessionLen)} {
		l, err := Create(t.TempDir(), session)
		if err != nil {
			t.Errorf("Create(%q): %v", session, err)
			continue
		}
		l.Close()
	}
}

func TestReadIgnoresTruncatedFinalLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	content := `{"time":"2026-12-04T20:15:00Z","session":"s","kind":"session_start"}` + "\n" +
		`{"time":"2026-12-04T20:15:01Z","session":"s","kind":"layer","layer":"seccomp"}` + "\n" +
		`{"time":"2026-12-04T20:15:02Z","session":"s","ki`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	events, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(events) != 2 {
		t.Fatalf("Read returned %d events, want 2", len(events))
	}
	if events[1].Layer != "seccomp" {
		t.Errorf("second event Layer = %q, want seccomp", events[1].Layer)
	}

	_, truncated, err := Decode(strings.NewReader(content))
	if err != nil {
		t.Errorf("Decode: %v", err)
	}
	if !truncated {
		t.Error("Decode reported no truncated final line")
	}

	complete := content[:strings.LastIndexByte(content, '\n')+1]
	_, truncated, err = Decode(strings.NewReader(complete))
	if err != nil {
		t.Errorf("Decode of complete lines: %v", err)
	}
	if truncated {
		t.Error("Decode of complete lines reported a truncated final line")
	}
}

func TestReadRejectsCorruptMiddleLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	content := `{"time":"2026-12-04T20:15:00Z","session":"s","kind":"session_start"}` + "\n" +
		`{"time":"2026-12-04T20:15:01Z","sess` + "\n" +
		`{"time":"2026-12-04T20:15:02Z","session":"s","kind":"exit"}` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := Read(path)
	if err == nil {
		t.Fatal("Read of a log with a corrupt line returned no error")
	}
	if !strings.Contains(err.Error(), "line 2:") {
		t.Errorf("Read error = %q, want it to name line 2", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("Read error = %q, want it to name the file", err)
	}
}

func TestReadRejectsOverlongLine(t *testing.T) {
	content := `{"kind":"exit"}` + "\n" + strings.Repeat("x", MaxLineSize+1) + "\n"
	_, _, err := Decode(strings.NewReader(content))
	if err == nil {
		t.Fatal("Decode of an overlong line returned no error")
	}
	if !strings.Contains(err.Error(), "line 2:") {
		t.Errorf("Decode error = %q, want it to name line 2", err)
	}
}

func TestEmitConcurrent(t *testing.T) {
	const goroutines, perGoroutine = 16, 200
	l := createLog(t)

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				e := Event{Kind: KindDenial, Detail: strings.Repeat("d", 500), Fields: map[string]any{"g": g, "i": i}}
				if err := l.Emit(e); err != nil {
					t.Errorf("Emit: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	data, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != goroutines*perGoroutine {
		t.Fatalf("log has %d lines, want %d", len(lines), goroutines*perGoroutine)
	}
	seen := make(map[string]bool)
	for n, line := range lines {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("line %d is not a valid event: %v", n+1, err)
		}
		key := fmt.Sprint(e.Fields["g"], "/", e.Fields["i"])
		if seen[key] {
			t.Errorf("event %s written twice", key)
		}
		seen[key] = true
	}
	if l.Dropped() != 0 {
		t.Errorf("Dropped() = %d, want 0", l.Dropped())
	}
}

func TestEmitAfterWriteFailureCountsDrops(t *testing.T) {
	l := createLog(t)
	if err := l.Emit(Event{Kind: KindSessionStart}); err != nil {
		t.Fatal(err)
	}
	// Closing the descriptor under the Log makes every later write fail.
	if err := l.file.Close(); err != nil {
		t.Fatal(err)
	}

	err := l.Emit(Event{Kind: KindDenial})
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("Emit on a closed descriptor = %v, want os.ErrClosed", err)
	}
	if l.Dropped() != 1 {
		t.Errorf("Dropped() after one failed Emit = %d, want 1", l.Dropped())
	}

	if err := l.Emit(Event{Kind: KindExit}); err == nil {
		t.Error("Emit after a failed write returned no error")
	}
	if l.Dropped() != 2 {
		t.Errorf("Dropped() after two failed Emits = %d, want 2", l.Dropped())
	}

	if err := l.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Close = %v, want the first write error (os.ErrClosed)", err)
	}
	events, err := Read(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != KindSessionStart {
		t.Errorf("log holds %+v, want only the session_start event", events)
	}
}

func TestCloseReportsDroppedEvents(t *testing.T) {
	l := createLog(t)
	if err := l.Emit(Event{Kind: KindSessionStart}); err != nil {
		t.Fatal(err)
	}
	if err := l.Emit(Event{Kind: KindMount, Fields: map[string]any{"bad": make(chan int)}}); err == nil {
		t.Fatal("Emit of an event that cannot be encoded returned no error")
	}
	if err := l.Emit(Event{Kind: KindDenial, Detail: strings.Repeat("x", MaxLineSize)}); err == nil {
		t.Fatal("Emit of an event over MaxLineSize returned no error")
	}
	// An encoding failure drops only that event, so later events are written.
	if err := l.Emit(Event{Kind: KindExit, ExitCode: new(3)}); err != nil {
		t.Fatalf("Emit after an encoding failure: %v", err)
	}
	if l.Dropped() != 2 {
		t.Errorf("Dropped() = %d, want 2", l.Dropped())
	}

	err := l.Close()
	if err == nil {
		t.Fatal("Close after dropped events returned no error")
	}
	if !strings.Contains(err.Error(), "encoding mount event") {
		t.Errorf("Close = %q, want the first error (encoding mount event)", err)
	}

	events, err := Read(l.Path())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(events) != 3 {
		t.Fatalf("log has %d events, want 3", len(events))
	}
	warning := events[2]
	if warning.Kind != KindWarning {
		t.Fatalf("last event Kind = %q, want %q", warning.Kind, KindWarning)
	}
	if warning.Fields["dropped"] != float64(2) {
		t.Errorf("warning dropped = %v, want 2", warning.Fields["dropped"])
	}
	if !strings.Contains(warning.Detail, "2 events") {
		t.Errorf("warning Detail = %q, want the drop count", warning.Detail)
	}
	if first, _ := warning.Fields["first_error"].(string); !strings.Contains(first, "encoding mount event") {
		t.Errorf("warning first_error = %q, want the encoding error", first)
	}
}

func TestEmitAfterCloseCountsDrop(t *testing.T) {
	l := createLog(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Emit(Event{Kind: KindExit}); !errors.Is(err, ErrClosed) {
		t.Errorf("Emit after Close = %v, want ErrClosed", err)
	}
	if l.Dropped() != 1 {
		t.Errorf("Dropped() = %d, want 1", l.Dropped())
	}
	if err := l.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func TestNewLoggerJSON(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger("json", &buf, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("hidden")
	logger.Info("started", "session", "s1")

	if strings.Contains(buf.String(), "hidden") {
		t.Errorf("output %q contains a record below the level", buf.String())
	}
	var record map[string]any
	if err := json.Unmarshal(buf.Bytes(), &record); err != nil {
		t.Fatalf("output %q is not one JSON record: %v", buf.String(), err)
	}
	if record["msg"] != "started" {
		t.Errorf("record msg = %v, want started", record["msg"])
	}
	if record["session"] != "s1" {
		t.Errorf("record session = %v, want s1", record["session"])
	}
}

func TestNewLoggerText(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger("text", &buf, slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("started", "session", "s1")

	out := buf.String()
	for _, want := range []string{"level=DEBUG", "msg=started", "session=s1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output = %q, want it to contain %s", out, want)
		}
	}
}

func TestNewLoggerRejectsUnknownFormat(t *testing.T) {
	_, err := NewLogger("xml", &bytes.Buffer{}, slog.LevelInfo)
	if err == nil {
		t.Fatal("NewLogger(xml) returned no error")
	}
	if want := `invalid log format "xml": use json or text`; err.Error() != want {
		t.Errorf("NewLogger(xml) error = %q, want %q", err, want)
	}
}

func TestNewSessionIDFormat(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 15, 0, 0, time.FixedZone("CET", 3600))
	id := NewSessionID(now)

	if !regexp.MustCompile(`^20261204T201500Z-[0-9a-f]{8}$`).MatchString(id) {
		t.Errorf("NewSessionID = %q, want 20261204T201500Z-<8 hex digits>", id)
	}
	if err := validateSession(id); err != nil {
		t.Errorf("NewSessionID result is not a valid session id: %v", err)
	}
}

func TestNewSessionIDUnique(t *testing.T) {
	now := time.Now()
	seen := make(map[string]bool)
	for range 100 {
		id := NewSessionID(now)
		if seen[id] {
			t.Fatalf("NewSessionID returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestStateDir(t *testing.T) {
	if got, want := StateDir("/home/u/.local/state"), "/home/u/.local/state/winewarden/sessions"; got != want {
		t.Errorf("StateDir = %q, want %q", got, want)
	}
}
