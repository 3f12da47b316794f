package dashboard

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/winewarden/winewarden/audit"
)

var update = flag.Bool("update", false, "rewrite the golden views")

func TestMain(m *testing.M) {
	// Golden views are compared without colours or attributes, as with
	// NO_COLOR.
	lipgloss.SetColorProfile(termenv.Ascii)
	// and with times shown in UTC, whatever the machine's zone.
	time.Local = time.UTC
	os.Exit(m.Run())
}

func recordedModel(t *testing.T) Model {
	t.Helper()
	return NewModel(replay(t, "../audit/testdata/report/session.jsonl"), "replay", nil)
}

func send(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

func keys(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

func TestGoldenViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for screen := range screenCount {
			m := send(recordedModel(t), tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m = send(m, keys(fmt.Sprint(screen+1))...)
			got := m.View()
			name := filepath.Join("testdata", fmt.Sprintf("%s-%dx%d.txt", strings.ToLower(screenNames[screen]), size[0], size[1]))
			if *update {
				if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run go test ./dashboard -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden view:\n%s", name, got)
			}
			lines := strings.Split(got, "\n")
			if len(lines) != size[1] {
				t.Errorf("%s: %d lines, want %d", name, len(lines), size[1])
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%s line %d is %d cells wide", name, i+1, w)
				}
			}
		}
	}
}

func TestScreenKeys(t *testing.T) {
	m := recordedModel(t)
	steps := []struct {
		msg  tea.Msg
		want int
	}{
		{tea.KeyMsg{Type: tea.KeyTab}, ScreenTrust},
		{tea.KeyMsg{Type: tea.KeyShiftTab}, ScreenDashboard},
		{tea.KeyMsg{Type: tea.KeyShiftTab}, ScreenEvents},
		{keys("l")[0], ScreenDashboard},
		{keys("h")[0], ScreenEvents},
		{keys("3")[0], ScreenNetwork},
		{keys("4")[0], ScreenProcesses},
	}
	for i, s := range steps {
		m = send(m, s.msg)
		if m.Screen() != s.want {
			t.Errorf("step %d: screen %d, want %d", i, m.Screen(), s.want)
		}
	}
}

func TestFilterTypesQAndDigits(t *testing.T) {
	m := recordedModel(t)
	m = send(m, keys("/")...)
	m = send(m, keys("q1 deny")...)
	filter, typing := m.Filter()
	if filter != "q1 deny" || !typing || m.Screen() != ScreenEvents {
		t.Fatalf("filter %q typing %v screen %d", filter, typing, m.Screen())
	}
	m = send(m, tea.KeyMsg{Type: tea.KeyBackspace}, tea.KeyMsg{Type: tea.KeyEnter})
	if filter, typing = m.Filter(); filter != "q1 den" || typing {
		t.Errorf("after Backspace and Enter: %q typing %v", filter, typing)
	}
	m = send(m, tea.KeyMsg{Type: tea.KeyEsc})
	if filter, _ = m.Filter(); filter != "" {
		t.Errorf("Esc left the filter %q", filter)
	}
	m = send(m, keys("/")...)
	m = send(m, keys("sensitive")...)
	m = send(m, tea.KeyMsg{Type: tea.KeyEnter})
	view := m.View()
	if !strings.Contains(view, "sensitive_access") || strings.Contains(view, "session_start") {
		t.Errorf("filtered event log:\n%s", view)
	}
	if _, cmd := m.Update(keys("q")[0]); cmd == nil {
		t.Error("q outside the filter does not quit")
	}
}

func TestRunesInOneMessage(t *testing.T) {
	m := send(recordedModel(t), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/q1x")})
	if filter, typing := m.Filter(); filter != "q1x" || !typing {
		t.Errorf("filter %q typing %v after \"/q1x\" in one message", filter, typing)
	}
	m = send(recordedModel(t), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3q")})
	if m.Screen() != ScreenNetwork {
		t.Errorf("screen %d after \"3q\"", m.Screen())
	}
}

func TestTrustHistoryLoaded(t *testing.T) {
	var asked []string
	m := NewModel(NewState(), "live", nil).WithHistory(func(id string) []int {
		asked = append(asked, id)
		return []int{50, 52, 40}
	})
	next, cmd := m.Update(EventsMsg{Events: []audit.Event{{Kind: audit.KindSessionStart, Session: "s", Fields: map[string]any{"game_id": "g1"}}}})
	m = next.(Model)
	for _, msg := range runBatch(cmd) {
		m = send(m, msg)
	}
	m = send(m, keys("2")...)
	if view := m.View(); !strings.Contains(view, "3 sessions, last score 40") || len(asked) != 1 || asked[0] != "g1" {
		t.Errorf("history asked for %q; Trust screen:\n%s", asked, view)
	}
}

// runBatch runs the commands of a tea.Batch and returns their messages,
// leaving out nil commands.
func runBatch(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	batch, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	var out []tea.Msg
	for _, c := range batch {
		out = append(out, runBatch(c)...)
	}
	return out
}

func TestPauseHoldsEvents(t *testing.T) {
	m := NewModel(NewState(), "live", nil)
	m = send(m, keys("p")...)
	m = send(m, EventsMsg{Events: []audit.Event{{Kind: audit.KindWarning, Detail: "held"}}})
	if len(m.State.Events) != 0 {
		t.Fatal("an event was applied while paused")
	}
	m = send(m, keys("p")...)
	if len(m.State.Events) != 1 {
		t.Errorf("%d events after resuming, want 1", len(m.State.Events))
	}
}

func TestEndedStaysOnScreen(t *testing.T) {
	m := NewModel(NewState(), "live", nil)
	m = send(m, EventsMsg{Events: []audit.Event{{Kind: audit.KindSessionStart, Session: "s1", Fields: map[string]any{"game_id": "g"}}}})
	m = send(m, EndedMsg{})
	if view := m.View(); !strings.Contains(view, "ENDED") || !strings.Contains(view, "s1") {
		t.Errorf("view after the end:\n%s", view)
	}
}

func TestTinyTerminal(t *testing.T) {
	m := send(recordedModel(t), tea.WindowSizeMsg{Width: 10, Height: 3})
	for screen := range screenCount {
		m = send(m, keys(fmt.Sprint(screen+1))...)
		if view := m.View(); view == "" {
			t.Errorf("screen %d drew nothing", screen)
		}
	}
}

func TestTickMovesLiveTimer(t *testing.T) {
	start := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	m := NewModel(NewState(), "live", nil)
	m = send(m, EventsMsg{Events: []audit.Event{{Time: start, Kind: audit.KindSessionStart, Session: "s1"}}})

	next, cmd := m.Update(TickMsg{Time: start.Add(5 * time.Second)})
	m = next.(Model)
	if !strings.Contains(m.View(), "running for 5s") {
		t.Errorf("the timer did not move on:\n%s", m.View())
	}
	if cmd == nil {
		t.Error("a live session's tick did not ask for the next tick")
	}

	m = send(m, keys("p")...)
	m = send(m, TickMsg{Time: start.Add(9 * time.Second)})
	if !strings.Contains(m.View(), "running for 5s") {
		t.Errorf("the timer moved while paused:\n%s", m.View())
	}

	m = send(m, keys("p")...)
	m = send(m, EndedMsg{})
	if _, cmd := m.Update(TickMsg{Time: start.Add(20 * time.Second)}); cmd != nil {
		t.Error("the timer kept ticking after the session ended")
	}
}

func TestScrollStaysWithinLines(t *testing.T) {
	m := send(recordedModel(t), tea.WindowSizeMsg{Width: 80, Height: 24}, keys("4")[0])
	top := m.View()
	m = send(m, keys("G")...)
	bottom := m.View()
	if bottom == top {
		t.Fatal("G did not move the Processes screen")
	}
	m = send(m, keys("k")...)
	if m.View() == bottom {
		t.Error("k after G did not scroll up")
	}
	m = send(m, keys("g")...)
	for range 500 {
		m = send(m, keys("j")...)
	}
	if m.View() != bottom {
		t.Error("j past the end did not stop at the last line")
	}
	m = send(m, tea.KeyMsg{Type: tea.KeyUp})
	if m.View() == bottom {
		t.Error("Up after scrolling past the end did not scroll up")
	}
}

func TestEventLogFollowsNewEvents(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	m := send(NewModel(NewState(), "live", nil), tea.WindowSizeMsg{Width: 80, Height: 24}, keys("5")[0])
	add := func(detail string) {
		m = send(m, EventsMsg{Events: []audit.Event{{Time: at, Kind: audit.KindWarning, Detail: detail}}})
	}
	for i := range 100 {
		add(fmt.Sprintf("event-%03d", i))
	}
	if view := m.View(); !strings.Contains(view, "event-099") || strings.Contains(view, "event-000") {
		t.Errorf("the event log does not show the newest events:\n%s", view)
	}
	// Scrolled up, the screen holds still as events arrive.
	m = send(m, keys("k")...)
	add("event-100")
	if view := m.View(); strings.Contains(view, "event-100") || !strings.Contains(view, "event-098") {
		t.Errorf("the event log moved while scrolled up:\n%s", view)
	}
	m = send(m, keys("G")...)
	add("event-101")
	if view := m.View(); !strings.Contains(view, "event-101") {
		t.Errorf("after G the event log does not follow new events:\n%s", view)
	}
}

func TestAttachBringsTimerToPresent(t *testing.T) {
	start := time.Now().Add(-42 * time.Second)
	m := NewModel(NewState(), "live", nil)
	next, cmd := m.Update(EventsMsg{Events: []audit.Event{{Time: start, Kind: audit.KindSessionStart, Session: "s1"}}})
	m = next.(Model)
	var clock tea.Msg
	for _, msg := range runBatch(cmd) {
		if c, ok := msg.(clockMsg); ok {
			clock = c
		}
	}
	if clock == nil {
		t.Fatal("attaching to a live session did not read the clock")
	}
	m = send(m, clock)
	if view := m.View(); !strings.Contains(view, "running for 42s") {
		t.Errorf("the timer did not start at the present:\n%s", view)
	}
	// The clock is read once, not on every batch.
	_, cmd = m.Update(EventsMsg{Events: []audit.Event{{Time: start, Kind: audit.KindWarning}}})
	for _, msg := range runBatch(cmd) {
		if _, ok := msg.(clockMsg); ok {
			t.Error("a later batch read the clock again")
		}
	}
}
