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
	p, quit := pick(NewPicker(pickerChoices(3), nil), enter)
	if c, ok := p.Chosen(); !quit || !ok || c.Session != "s02" {
		t.Errorf("Enter at once chose %q, %v (quit %v), want the newest, s02", c.Session, ok, quit)
	}
	p, _ = pick(NewPicker(pickerChoices(3), nil), append(keys("kkkj"), enter)...)
	if c, _ := p.Chosen(); c.Session != "s01" {
		t.Errorf("k k k j Enter chose %q, want s01", c.Session)
	}
	p, _ = pick(NewPicker(pickerChoices(3), nil), append(keys("gG"), tea.KeyMsg{Type: tea.KeyUp}, enter)...)
	if c, _ := p.Chosen(); c.Session != "s01" {
		t.Errorf("g G Up Enter chose %q, want s01", c.Session)
	}
	p, quit = pick(NewPicker(pickerChoices(3), nil), keys("q")...)
	if _, ok := p.Chosen(); !quit || ok {
		t.Errorf("q: quit %v, chosen %v", quit, ok)
	}
}

func TestPickerViewKeepsSelectionVisible(t *testing.T) {
	p, _ := pick(NewPicker(pickerChoices(40), nil), tea.WindowSizeMsg{Width: 80, Height: 24})
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

func TestPickerRefreshes(t *testing.T) {
	all := pickerChoices(4)
	lists := [][]Choice{all[1:4], {all[1], all[3]}, nil}
	refresh := func() []Choice {
		next := lists[0]
		lists = lists[1:]
		return next
	}
	p := NewPicker(all[:3], refresh)
	if p.Init() == nil {
		t.Fatal("a picker with a refresh does not tick")
	}
	p, _ = pick(p, keys("k")...) // selects s01
	p, _ = pick(p, pickerTickMsg{})
	if c := p.choices[p.cursor]; c.Session != "s01" || len(p.choices) != 3 || p.choices[2].Session != "s03" {
		t.Errorf("after the first refresh: %d sessions, s03 last? selected %q", len(p.choices), c.Session)
	}
	p, _ = pick(p, pickerTickMsg{})
	if !strings.Contains(p.View(), "2 sessions are running") {
		t.Errorf("after s02 ended:\n%s", p.View())
	}
	p, quit := pick(p, pickerTickMsg{})
	if c, ok := p.Chosen(); !quit || !ok || c.Session != "" {
		t.Errorf("with every session ended: quit %v, chosen %q %v; want a wait for the next", quit, c.Session, ok)
	}
}
