package dashboard

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

var (
	titleStyle  = lipgloss.NewStyle().Bold(true)
	activeStyle = lipgloss.NewStyle().Bold(true).Reverse(true)
	denyStyle   = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	dimStyle    = lipgloss.NewStyle().Faint(true)
)

// sparkBars are the eighths of a block, lowest first.
var sparkBars = []rune("▁▂▃▄▅▆▇█")

// View draws the screen: a header, the tab bar, the screen's body and a
// footer, each line cut to the terminal's width.
func (m Model) View() string {
	width := max(m.width, minWidth)
	lines := []string{m.header(), m.tabs()}
	pinned, body := m.split(m.body(width))
	if m.help {
		pinned, body = nil, helpLines
	}
	lines = append(lines, pinned...)
	room := m.room()
	start := min(m.scroll[m.screen], max(len(body)-room, 0))
	if m.bottom[m.screen] {
		start = max(len(body)-room, 0)
	}
	if m.help {
		start = 0
	}
	end := min(start+room, len(body))
	lines = append(lines, body[start:end]...)
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.footer())
	// A terminal too small for the layout gets its top lines.
	if m.height > 0 && len(lines) > m.height {
		lines = lines[:m.height]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "")
	}
	return strings.Join(lines, "\n")
}

// minWidth is the narrowest layout drawn: a narrower terminal cuts lines.
const minWidth = 20

// room returns the number of lines that scroll, between the tab bar (and
// a table's column titles) and the footer.
func (m Model) room() int {
	pinned, _ := m.split(nil)
	return max(m.height-3-len(pinned), 1)
}

// split returns the first line of a table screen, its column titles, which
// stay while the rest scrolls.
func (m Model) split(body []string) (pinned, rest []string) {
	switch m.screen {
	case ScreenNetwork, ScreenProcesses, ScreenEvents:
		if m.help {
			return nil, body
		}
		pinned = []string{""}
		if len(body) > 0 {
			pinned, body = body[:1], body[1:]
		}
		return pinned, body
	}
	return nil, body
}

func (m Model) header() string {
	s := m.State
	status := "LIVE"
	switch {
	case s.Session == "" && !m.ended:
		status = "WAITING"
	case m.ended || s.Ended:
		status = "ENDED"
	case m.Source == "replay":
		status = "REPLAY"
	}
	if m.paused {
		status += " (paused)"
	}
	game := s.GameID
	if len(game) > 30 {
		game = game[:29] + "…"
	}
	return titleStyle.Render("WineWarden monitor") + "  " + status + "  " + game + "  " + dimStyle.Render(s.Session)
}

func (m Model) tabs() string {
	var parts []string
	for i, name := range screenNames {
		label := fmt.Sprintf(" %d %s ", i+1, name)
		if i == m.screen {
			// The brackets mark the screen without colours too.
			label = activeStyle.Render(fmt.Sprintf("[%d %s]", i+1, name))
		}
		parts = append(parts, label)
	}
	return strings.Join(parts, "")
}

func (m Model) footer() string {
	if m.filtering {
		return "filter: " + m.filter + "_   (Enter keeps it, Esc clears it)"
	}
	text := "Tab/h/l screens  1-5 jump  j/k scroll  / filter  p pause  ? help  q quit"
	if m.filter != "" {
		text = "filter \"" + m.filter + "\" (Esc clears)  " + text
	}
	if m.endErr != nil {
		text = "stream ended: " + m.endErr.Error()
	}
	return dimStyle.Render(text)
}

var helpLines = []string{
	"Keys",
	"  Tab, l / Shift-Tab, h   next / previous screen",
	"  1 to 5                  jump to a screen",
	"  j, Down / k, Up         scroll",
	"  g / G                   top / bottom",
	"  /                       filter the event log (q and digits are typed as text)",
	"  Esc                     clear the filter",
	"  p                       pause, so the screen holds still",
	"  ?                       show or hide this help",
	"  q                       quit",
}

func (m Model) body(width int) []string {
	switch m.screen {
	case ScreenTrust:
		return m.trustLines()
	case ScreenNetwork:
		return m.networkLines(width)
	case ScreenProcesses:
		return m.processLines()
	case ScreenEvents:
		return m.eventLines(width)
	}
	return m.dashboardLines(width)
}

func (m Model) dashboardLines(width int) []string {
	s := m.State
	if s.Session == "" && !m.ended {
		return []string{
			"No session is running yet.",
			"Start a game with:  winewarden run -- wine game.exe",
			"This screen follows it as soon as it starts. Press q to quit.",
			"A finished session can be replayed: winewarden monitor --session ID",
		}
	}
	var out []string
	elapsed := s.Last.Sub(s.Start)
	if s.Start.IsZero() {
		elapsed = 0
	}
	out = append(out, fmt.Sprintf("Session   %s, running for %s", clock(s.Start), elapsed.Round(time.Second)))
	game := s.Exe
	if game == "" {
		game = s.GameID + " (no Windows program named)"
	}
	out = append(out, "Game      "+game)
	out = append(out, fmt.Sprintf("Tier      %-7s score %3d %s", orDash(s.Tier), currentScore(s), gauge(currentScore(s), 20)))
	out = append(out, fmt.Sprintf("Network   %s", orDash(s.NetworkMode)))
	out = append(out, "Events/s  "+sparkline(s.Rate[:]))
	out = append(out, "")
	out = append(out, titleStyle.Render("Denials"))
	if len(s.Denials) == 0 {
		out = append(out, "  none")
	}
	for _, kind := range slices.Sorted(maps.Keys(s.Denials)) {
		out = append(out, denyStyle.Render(fmt.Sprintf("  %-18s %d", kind, s.Denials[kind])))
	}
	if s.PrefixDenials > 0 {
		out = append(out, dimStyle.Render(fmt.Sprintf("  %-18s %d (not the game's)", "prefix creation", s.PrefixDenials)))
	}
	out = append(out, "")
	out = append(out, titleStyle.Render("Layers")+dimStyle.Render("  (+ in force, - not in force)"))
	var layers []string
	for _, l := range s.Layers {
		mark := "+"
		if !l.InForce {
			mark = "-"
		}
		layers = append(layers, mark+l.Name)
	}
	if len(layers) == 0 {
		layers = []string{"-"}
	}
	out = append(out, wrapWords(layers, "  ", width)...)
	if s.Ended {
		out = append(out, "", endLine(s))
	}
	return out
}

// wrapWords joins words with spaces into lines of at most width cells,
// each starting with indent.
func wrapWords(words []string, indent string, width int) []string {
	var out []string
	line := indent
	for _, w := range words {
		if line != indent && lipgloss.Width(line)+1+lipgloss.Width(w) > width {
			out = append(out, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	return append(out, line)
}

func endLine(s *State) string {
	switch {
	case s.Signal != "":
		return "The session ended: the game was stopped by " + s.Signal + "."
	case s.ExitCode != nil:
		return fmt.Sprintf("The session ended: exit status %d.", *s.ExitCode)
	}
	return "The session ended."
}

func currentScore(s *State) int {
	if s.ScoreAfter != nil {
		return *s.ScoreAfter
	}
	return s.Score
}

// gauge draws score (0 to 100) as a bar of width cells.
func gauge(score, width int) string {
	filled := min(max(score, 0), 100) * width / 100
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}

// sparkline draws one bar per value, scaled to the largest.
func sparkline(values []int) string {
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		if top == 0 {
			b.WriteRune(sparkBars[0])
			continue
		}
		b.WriteRune(sparkBars[v*(len(sparkBars)-1)/top])
	}
	return fmt.Sprintf("%s max %d", b.String(), top)
}

func (m Model) trustLines() []string {
	s := m.State
	out := []string{
		fmt.Sprintf("Tier      %s", orDash(s.Tier)),
		fmt.Sprintf("Score     %d at the start %s", s.Score, gauge(s.Score, 20)),
	}
	if s.ScoreAfter != nil {
		out = append(out, fmt.Sprintf("          %d after the session %s", *s.ScoreAfter, gauge(*s.ScoreAfter, 20)))
	}
	out = append(out, "", titleStyle.Render("Reasons"))
	if len(s.TrustChanges) == 0 {
		out = append(out, "  The score changes when the session ends.")
	}
	for _, c := range s.TrustChanges {
		out = append(out, "  "+c)
	}
	out = append(out, "", titleStyle.Render("History"))
	if len(m.history) == 0 {
		out = append(out, "  no earlier sessions")
	} else {
		scores := m.history[max(len(m.history)-60, 0):]
		sessions := "sessions"
		if len(m.history) == 1 {
			sessions = "session"
		}
		out = append(out, fmt.Sprintf("  %s  %d %s, last score %d", scoreLine(scores), len(m.history), sessions, m.history[len(m.history)-1]))
	}
	out = append(out, dimStyle.Render("  details: winewarden trust show "+s.GameID))
	return out
}

// scoreLine draws scores (0 to 100) as one bar each, on a fixed scale so
// that the bars of two games compare.
func scoreLine(scores []int) string {
	var b strings.Builder
	for _, v := range scores {
		b.WriteRune(sparkBars[min(max(v, 0), 100)*(len(sparkBars)-1)/100])
	}
	return b.String()
}

func (m Model) networkLines(width int) []string {
	s := m.State
	out := []string{titleStyle.Render(fmt.Sprintf("%-30s %-22s %-7s %6s %s", "DOMAIN", "ADDRESS", "PROTO", "COUNT", "DECISION"))}
	var prefix []Destination
	for _, d := range s.Destinations() {
		if d.Stage == StagePrefixInit {
			prefix = append(prefix, d)
			continue
		}
		out = append(out, destinationLine(d))
	}
	if len(prefix) > 0 {
		out = append(out, "", titleStyle.Render("Prefix creation, before the game"))
		for _, d := range prefix {
			out = append(out, destinationLine(d))
		}
	}
	out = append(out, "", titleStyle.Render("DNS queries"))
	if len(s.DNS) == 0 {
		out = append(out, "  none")
	}
	for i := len(s.DNS) - 1; i >= 0; i-- {
		q := s.DNS[i]
		answer := strings.Join(q.Answers, " ")
		if answer == "" {
			answer = orDash(q.Rcode)
		}
		out = append(out, fmt.Sprintf("  %s %-5s %-30s %s", clock(q.Time), orDash(q.Type), clip(q.Name, 30), answer))
	}
	return out
}

func destinationLine(d Destination) string {
	domain := orDash(d.Domain)
	if d.OtherDomains > 0 {
		more := fmt.Sprintf(" +%d", d.OtherDomains)
		domain = clip(domain, 30-len(more)) + more
	}
	line := fmt.Sprintf("%-30s %-22s %-7s %6d %s", clip(domain, 30), clip(hostPort(d.Address, d.Port), 22),
		orDash(d.Protocol), d.Count, d.Decision)
	if d.Decision == "deny" {
		line = denyStyle.Render(line)
	}
	return line
}

func hostPort(address string, port int) string {
	if port == 0 {
		return address
	}
	if strings.Contains(address, ":") {
		return fmt.Sprintf("[%s]:%d", address, port)
	}
	return fmt.Sprintf("%s:%d", address, port)
}

func (m Model) processLines() []string {
	var game, prefix []Process
	for _, p := range m.State.Processes() {
		if p.Stage == StagePrefixInit {
			prefix = append(prefix, p)
		} else {
			game = append(game, p)
		}
	}
	out := []string{titleStyle.Render(fmt.Sprintf("%-7s %-8s %8s  %s", "PID", "STATE", "RUNTIME", "PROGRAM"))}
	out = append(out, m.processTree(game)...)
	if len(prefix) > 0 {
		out = append(out, "", titleStyle.Render(fmt.Sprintf("Prefix creation, before the game (%d programs)", len(prefix))))
		out = append(out, m.processTree(prefix)...)
	}
	return out
}

// processTree draws processes of one stage as a tree: each under its
// parent, which started before it.
func (m Model) processTree(processes []Process) []string {
	children := map[int][]int{}
	latest := map[int]int{} // pid to the index of its latest process so far
	var roots []int
	for i, p := range processes {
		if parent, ok := latest[p.PPID]; ok && p.PPID != p.PID {
			children[parent] = append(children[parent], i)
		} else {
			roots = append(roots, i)
		}
		latest[p.PID] = i
	}
	var out []string
	var walk func(i, depth int)
	walk = func(i, depth int) {
		p := processes[i]
		end := p.End
		if end.IsZero() {
			end = m.State.Last
		}
		line := fmt.Sprintf("%-7d %-8s %8s  %s%s", p.PID, p.State, end.Sub(p.Start).Round(time.Second), strings.Repeat("  ", depth), p.Image)
		if p.State == ProcessBlocked {
			line = denyStyle.Render(line)
		}
		out = append(out, line)
		for _, c := range children[i] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

// eventColumns are the widths of the event log's columns other than the
// target, which takes the rest of the line.
type eventColumns struct{ kind, process, decision, rule int }

func columnsFor(width int) eventColumns {
	if width >= 110 {
		return eventColumns{kind: 16, process: 22, decision: 11, rule: 24}
	}
	return eventColumns{kind: 16, process: 12, decision: 8, rule: 12}
}

func (m Model) eventLines(width int) []string {
	c := columnsFor(width)
	target := max(width-(8+c.kind+c.process+c.decision+c.rule+5), 12)
	format := fmt.Sprintf("%%-8s %%-%ds %%-%ds %%-%ds %%-%ds %%s", c.kind, c.process, target, c.decision)
	out := []string{titleStyle.Render(fmt.Sprintf(format, "TIME", "KIND", "PROCESS", "TARGET", "DECISION", "RULE"))}
	if n := m.State.OlderEvents; n > 0 {
		out = append(out, dimStyle.Render(fmt.Sprintf("%d older events are not kept here, nor filtered: winewarden report shows the whole session", n)))
	}
	for _, r := range m.State.Events {
		if !m.matches(r) {
			continue
		}
		line := fmt.Sprintf(format, clock(r.Time), clip(r.Kind, c.kind), clip(baseName(r.Process), c.process),
			clipTarget(orDash(r.Target), target), clip(orDash(r.Decision), c.decision), clip(orDash(r.Rule), c.rule))
		if r.Decision == "deny" || r.Decision == "killed" {
			line = denyStyle.Render(line)
		}
		out = append(out, line)
	}
	return out
}

// baseName shortens a "pid image" to "pid name", with Windows or Linux
// separators.
func baseName(process string) string {
	i := strings.LastIndexAny(process, `\/`)
	if i < 0 {
		return process
	}
	pid, _, _ := strings.Cut(process, " ")
	if pid != process && !strings.ContainsAny(pid, `\/`) {
		return pid + " " + process[i+1:]
	}
	return process[i+1:]
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// clock shows t as the local time of day.
func clock(t time.Time) string { return t.Local().Format("15:04:05") }

// clipTarget shortens a path by cutting its start, which keeps the file
// name, and any other text by cutting its end.
func clipTarget(s string, n int) string {
	windows := len(s) > 2 && s[1] == ':' && s[2] == '\\'
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~/") || strings.HasPrefix(s, `\\`) || windows {
		return clipLeft(s, n)
	}
	return clip(s, n)
}

// clipLeft shortens s to n cells by cutting its start, which keeps the
// end of a path.
func clipLeft(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
