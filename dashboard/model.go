package dashboard

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/winewarden/winewarden/audit"
)

// Screens, in tab order.
const (
	ScreenDashboard = iota
	ScreenTrust
	ScreenNetwork
	ScreenProcesses
	ScreenEvents
	screenCount
)

var screenNames = [screenCount]string{"Dashboard", "Trust", "Network", "Processes", "Events"}

// EventsMsg carries the events that arrived since the last message.
// Bubbletea redraws after each message, so a source that batches events
// bounds the redraw rate.
type EventsMsg struct{ Events []audit.Event }

// EndedMsg reports that the session's event stream ended.
type EndedMsg struct{ Err error }

// TickMsg moves the session timer and the event rate of a live session on
// while no events arrive. It comes once a second.
type TickMsg struct{ Time time.Time }

// tickInterval is how often a live session's timer moves on.
const tickInterval = time.Second

func tick() tea.Cmd {
	return tea.Tick(tickInterval, func(t time.Time) tea.Msg { return TickMsg{Time: t} })
}

// clockMsg brings a live session's timer to the present once, right after
// attaching, without waiting for the first tick.
type clockMsg struct{ Time time.Time }

// HistoryMsg carries the game's score after each earlier session, oldest
// first, for the Trust screen.
type HistoryMsg struct{ Scores []int }

// HistoryFunc loads the score history of a game. It runs outside the
// bubbletea loop, once the session names its game.
type HistoryFunc func(gameID string) []int

// Model is the bubbletea model of the monitor: the session's State plus
// what the user chose to look at.
type Model struct {
	State  *State
	Source string // "live" or "replay", shown in the header

	screen        int
	width, height int
	scroll        [screenCount]int
	// bottom marks screens that stay scrolled to their last line as new
	// lines arrive.
	bottom    [screenCount]bool
	filter    string
	filtering bool
	paused    bool
	help      bool
	ended     bool
	endErr    error
	// clocked is set once a live session's timer was brought to the
	// present after attaching.
	clocked bool
	// pending holds events that arrived while paused.
	pending []audit.Event
	next    tea.Cmd

	loadHistory HistoryFunc
	historyFor  string
	history     []int
}

// WithHistory returns m with a loader for the Trust screen's history.
func (m Model) WithHistory(load HistoryFunc) Model {
	m.loadHistory = load
	return m
}

// NewModel returns a model that shows state and runs next to receive more
// events.
func NewModel(state *State, source string, next tea.Cmd) Model {
	m := Model{State: state, Source: source, next: next, width: 80, height: 24}
	// The event log shows the newest events, as a log viewer does.
	m.bottom[ScreenEvents] = true
	return m
}

// Init starts reading events, and the timer of a live session.
func (m Model) Init() tea.Cmd {
	if m.Source == "live" {
		return tea.Batch(m.next, tick())
	}
	return m.next
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case EventsMsg:
		if m.paused {
			m.pending = append(m.pending, msg.Events...)
		} else {
			for _, e := range msg.Events {
				m.State.Apply(e)
			}
		}
		cmds := []tea.Cmd{m.next, m.historyCmd()}
		if m.Source == "live" && !m.clocked && m.State.Session != "" {
			m.clocked = true
			cmds = append(cmds, func() tea.Msg { return clockMsg{Time: time.Now()} })
		}
		return m, tea.Batch(cmds...)
	case clockMsg:
		if !m.ended && !m.State.Ended && !m.paused {
			m.State.Advance(msg.Time)
		}
	case HistoryMsg:
		m.history = msg.Scores
	case TickMsg:
		// An ended session's timer stops, and a paused screen holds
		// still.
		if m.ended || m.State.Ended {
			return m, nil
		}
		if !m.paused && m.State.Session != "" {
			m.State.Advance(msg.Time)
		}
		return m, tick()
	case EndedMsg:
		m.ended, m.endErr = true, msg.Err
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	// Keys typed faster than the terminal is read arrive as one message
	// with several runes: each is a key of its own.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
		var model tea.Model = m
		for _, r := range msg.Runes {
			var cmd tea.Cmd
			model, cmd = model.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			if cmd != nil {
				return model, cmd
			}
		}
		return model, nil
	}
	if m.filtering {
		switch msg.Type {
		case tea.KeyEsc:
			m.filtering, m.filter = false, ""
		case tea.KeyEnter:
			m.filtering = false
		case tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		case tea.KeyRunes, tea.KeySpace:
			m.filter += string(msg.Runes)
		case tea.KeyCtrlC:
			return m, tea.Quit
		}
		m.scroll[ScreenEvents] = 0
		return m, nil
	}
	switch key := msg.String(); key {
	case "q", "ctrl+c":
		return m, tea.Quit
	case "tab", "l":
		m.screen = (m.screen + 1) % screenCount
	case "shift+tab", "h":
		m.screen = (m.screen + screenCount - 1) % screenCount
	case "1", "2", "3", "4", "5":
		m.screen = int(key[0] - '1')
	case "j", "down":
		m.scrollTo(m.position() + 1)
		// Scrolling onto the last line follows new lines, as G does.
		last := m.lastScroll()
		m.bottom[m.screen] = last > 0 && m.scroll[m.screen] == last
	case "k", "up":
		m.scrollTo(m.position() - 1)
	case "g", "home":
		m.scrollTo(0)
	case "G", "end":
		m.scrollTo(m.lastScroll())
		m.bottom[m.screen] = true
	case "/":
		m.screen, m.filtering = ScreenEvents, true
	case "esc":
		m.filter = ""
	case "p":
		m.paused = !m.paused
		if !m.paused {
			for _, e := range m.pending {
				m.State.Apply(e)
			}
			m.pending = nil
		}
	case "?":
		m.help = !m.help
	}
	return m, nil
}

// lastScroll returns the scroll position that shows the screen's last line
// at the bottom.
func (m Model) lastScroll() int {
	_, rest := m.split(m.body(max(m.width, minWidth)))
	return max(len(rest)-m.room(), 0)
}

// position returns the first line the screen shows.
func (m Model) position() int {
	if m.bottom[m.screen] {
		return m.lastScroll()
	}
	return min(m.scroll[m.screen], m.lastScroll())
}

// scrollTo moves the screen to line n, kept within its lines, and stops it
// following new lines.
func (m *Model) scrollTo(n int) {
	m.scroll[m.screen] = min(max(n, 0), m.lastScroll())
	m.bottom[m.screen] = false
}

// historyCmd loads the trust history once the session has named its game,
// and again when the session ends with a new score.
func (m *Model) historyCmd() tea.Cmd {
	want := m.State.GameID
	if m.State.ScoreAfter != nil {
		want += "\x00ended"
	}
	if m.loadHistory == nil || m.State.GameID == "" || m.historyFor == want {
		return nil
	}
	m.historyFor = want
	load, id := m.loadHistory, m.State.GameID
	return func() tea.Msg { return HistoryMsg{Scores: load(id)} }
}

// Screen returns the screen shown.
func (m Model) Screen() int { return m.screen }

// Filter returns the event filter and whether it is being typed.
func (m Model) Filter() (string, bool) { return m.filter, m.filtering }

// matches reports whether an event row contains the filter, ignoring case.
func (m Model) matches(r Row) bool {
	if m.filter == "" {
		return true
	}
	text := strings.ToLower(strings.Join([]string{r.Kind, r.Process, r.Target, r.Decision, r.Rule}, " "))
	return strings.Contains(text, strings.ToLower(m.filter))
}
