package dashboard

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// Choice is one running session the picker offers.
type Choice struct {
	Session string
	GameID  string
	Tier    string
	Start   time.Time
}

// Picker is the bubbletea model that lists running sessions and lets the
// user choose one to follow.
type Picker struct {
	choices       []Choice
	cursor        int
	chosen        bool
	width, height int
}

// NewPicker returns a picker over choices, with the newest session, the
// last one, selected.
func NewPicker(choices []Choice) Picker {
	return Picker{choices: choices, cursor: max(len(choices)-1, 0), width: 80, height: 24}
}

// Chosen returns the session picked, or false when the user quit.
func (p Picker) Chosen() (Choice, bool) {
	if !p.chosen || len(p.choices) == 0 {
		return Choice{}, false
	}
	return p.choices[p.cursor], true
}

// Init does nothing: the list is fixed.
func (p Picker) Init() tea.Cmd { return nil }

// Update moves the selection, picks a session on Enter and quits on q.
func (p Picker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "esc", "ctrl+c":
			return p, tea.Quit
		case "j", "down":
			p.cursor = min(p.cursor+1, max(len(p.choices)-1, 0))
		case "k", "up":
			p.cursor = max(p.cursor-1, 0)
		case "g", "home":
			p.cursor = 0
		case "G", "end":
			p.cursor = max(len(p.choices)-1, 0)
		case "enter", " ":
			p.chosen = true
			return p, tea.Quit
		}
	}
	return p, nil
}

// View lists the sessions, the selected one highlighted, scrolled so the
// selection stays on screen.
func (p Picker) View() string {
	width, height := max(p.width, 20), max(p.height, 6)
	lines := []string{
		titleStyle.Render("WineWarden monitor") + "  " + fmt.Sprintf("%d sessions are running; choose one to follow", len(p.choices)),
		"",
		titleStyle.Render(fmt.Sprintf("  %-8s %-7s %-30s %s", "STARTED", "TIER", "GAME", "SESSION")),
	}
	room := height - len(lines) - 1
	first := max(p.cursor-room+1, 0)
	for i := first; i < len(p.choices) && i < first+room; i++ {
		c := p.choices[i]
		line := fmt.Sprintf("  %-8s %-7s %-30s %s", clock(c.Start), orDash(c.Tier), clip(orDash(c.GameID), 30), c.Session)
		if i == p.cursor {
			line = activeStyle.Render(">" + line[1:])
		}
		lines = append(lines, line)
	}
	for len(lines) < height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, dimStyle.Render("j/k or arrows move  Enter follows the session  q quits"))
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "")
	}
	return strings.Join(lines, "\n")
}
