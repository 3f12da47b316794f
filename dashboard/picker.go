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
	// refresh lists the running sessions again, once a second.
	refresh func() []Choice
	// emptied is set when every listed session ended.
	emptied bool
}

// NewPicker returns a picker over choices, with the newest session, the
// last one, selected. refresh, when not nil, lists the sessions again once
// a second, so sessions that end leave the list and new ones join it.
func NewPicker(choices []Choice, refresh func() []Choice) Picker {
	return Picker{choices: choices, cursor: max(len(choices)-1, 0), width: 80, height: 24, refresh: refresh}
}

// Chosen returns the session picked and true. It returns an empty Choice
// and true when every session ended, so the monitor waits for the next
// one, and false when the user quit.
func (p Picker) Chosen() (Choice, bool) {
	if p.emptied {
		return Choice{}, true
	}
	if !p.chosen || len(p.choices) == 0 {
		return Choice{}, false
	}
	return p.choices[p.cursor], true
}

// pickerTickMsg makes the picker list the sessions again.
type pickerTickMsg struct{}

func (p Picker) tick() tea.Cmd {
	if p.refresh == nil {
		return nil
	}
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return pickerTickMsg{} })
}

// Init starts the refresh.
func (p Picker) Init() tea.Cmd { return p.tick() }

// Update moves the selection, picks a session on Enter and quits on q.
func (p Picker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
	case pickerTickMsg:
		return p.update(p.refresh())
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

// update replaces the list, keeping the selected session selected while it
// runs.
func (p Picker) update(choices []Choice) (tea.Model, tea.Cmd) {
	if len(choices) == 0 {
		p.emptied = true
		return p, tea.Quit
	}
	selected := ""
	if p.cursor < len(p.choices) {
		selected = p.choices[p.cursor].Session
	}
	p.choices, p.cursor = choices, len(choices)-1
	for i, c := range choices {
		if c.Session == selected {
			p.cursor = i
		}
	}
	return p, p.tick()
}

// View lists the sessions, the selected one highlighted, scrolled so the
// selection stays on screen.
func (p Picker) View() string {
	width, height := max(p.width, 20), max(p.height, 6)
	title := fmt.Sprintf("%d sessions are running; choose one to follow", len(p.choices))
	if len(p.choices) == 1 {
		title = "1 session is running; Enter follows it"
	}
	lines := []string{
		titleStyle.Render("WineWarden monitor") + "  " + title,
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
