package dashboard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func pickerChoices(n int) []Choice {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var out []Choice
	for i := range n {
		out = append(out, Choice{Session: fmt.Sprintf("s%02d", i), GameID: fmt.Sprintf("game%d", i), Tier: "yellow", Start: at.Add(time.Duration(i) * time.Minute)})
	}
	return out
}

func pick(p Picker, msgs ...tea.Msg) (Picker, bool) {
	quit := false
	for _, msg := range msgs {
		next, cmd := p.Update(msg)
		p = next.(Picker)
		if cmd != nil {
			_, quit = cmd().(tea.QuitMsg)
		}
	}
	return p, quit
}

func TestPickerChooses(t *testing.T) {
	enter := tea.KeyMsg{Type: tea.KeyEnter}
	p, quit := pick(NewPicker(pickerChoices(3)), enter)
	if c, ok := p.Chosen(); !quit || !ok || c.Session != "s02" {
		t.Errorf("Enter at once chose %q, %v (quit %v), want the newest, s02", c.Session, ok, quit)
	}
	p, _ = pick(NewPicker(pickerChoices(3)), append(keys("kkkj"), enter)...)
	if c, _ := p.Chosen(); c.Session != "s01" {
		t.Errorf("k k k j Enter chose %q, want s01", c.Session)
	}
	p, _ = pick(NewPicker(pickerChoices(3)), append(keys("gG"), tea.KeyMsg{Type: tea.KeyUp}, enter)...)
	if c, _ := p.Chosen(); c.Session != "s01" {
		t.Errorf("g G Up Enter chose %q, want s01", c.Session)
	}
	p, quit = pick(NewPicker(pickerChoices(3)), keys("q")...)
	if _, ok := p.Chosen(); !quit || ok {
		t.Errorf("q: quit %v, chosen %v", quit, ok)
	}
}

func TestPickerViewKeepsSelectionVisible(t *testing.T) {
	p, _ := pick(NewPicker(pickerChoices(40)), tea.WindowSizeMsg{Width: 80, Height: 24})
	view := p.View()
	lines := strings.Split(view, "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	if !strings.Contains(view, "> 10:39:00") || !strings.Contains(view, "40 sessions are running") {
		t.Errorf("the newest session is not selected and shown:\n%s", view)
	}
	p, _ = pick(p, keys("g")...)
	if view := p.View(); !strings.Contains(view, "> 10:00:00") || strings.Contains(view, "s39") {
		t.Errorf("after g the first session is not selected at the top:\n%s", view)
	}
	for _, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
}
