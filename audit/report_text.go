package audit

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxListItems is the number of entries each list of the text report shows
// before it ends in "... and N more". WriteReportJSON shows all.
const maxListItems = 8

// maxCellRunes bounds one value in the text report, so that a long path or
// argument vector from the game cannot push the rest off the screen.
// maxLineRunes bounds the values that take a line of their own.
const (
	maxCellRunes = 72
	maxLineRunes = 160
)

// WriteReportText writes the short report for a terminal: a header, then
// what was blocked and how trust changed, then network, programs and
// warnings. Lists are capped at maxListItems. Every string that came from
// the log is shown with control characters escaped, because the game chose
// many of them.
func WriteReportText(w io.Writer, r Report) error {
	var buf bytes.Buffer
	t := textReport{buf: &buf}
	t.header(r)
	t.blocked(r.Blocked)
	t.trust(r.Trust)
	t.network(r.Network)
	t.programs(r.Programs)
	t.prefixInit(r.PrefixInit)
	t.warnings(r.Warnings)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

type textReport struct {
	buf *bytes.Buffer
}

func (t textReport) line(format string, args ...any) {
	fmt.Fprintf(t.buf, format+"\n", args...)
}

// table writes rows with aligned columns, indented by indent spaces. The
// cells must already be cleaned, so they hold no tabs or newlines.
func (t textReport) table(indent int, rows [][]string) {
	tw := tabwriter.NewWriter(t.buf, 0, 0, 2, ' ', 0)
	prefix := strings.Repeat(" ", indent)
	for _, row := range rows {
		fmt.Fprintln(tw, prefix+strings.TrimRight(strings.Join(row, "\t"), "\t"))
	}
	tw.Flush()
}

// more writes the "... and N more" line of a list that shows limit of
// total entries.
func (t textReport) more(indent, total, limit int) {
	if total > limit {
		t.line("%s... and %d more", strings.Repeat(" ", indent), total-limit)
	}
}

func (t textReport) header(r Report) {
	s := r.Session
	id := s.ID
	if id == "" {
		id = "(unknown)"
	}
	t.line("Session %s", cell(id))

	rows := [][]string{}
	if s.GameID != "" {
		rows = append(rows, []string{"Game", cell(s.GameID)})
	}
	if s.Exe != "" {
		rows = append(rows, []string{"Main .exe", cell(s.Exe)})
	}
	if len(s.Argv) > 0 {
		rows = append(rows, []string{"Command", clip(commandLine(s.Argv), maxLineRunes)})
	}

	rows = append(rows, []string{"Started", startLine(s)})
	if s.ExitDetail != "" {
		rows = append(rows, []string{"Error", clip(clean(s.ExitDetail), maxLineRunes)})
	}

	if st := r.Trust.Start; st != nil {
		rows = append(rows, []string{"Tier", tierLine(st)})
		if st.Profile != nil {
			rows = append(rows, []string{"Profile", profileLine(st.Profile)})
		}
	} else if s.NetworkMode != "" {
		rows = append(rows, []string{"Network", cell(s.NetworkMode)})
	}
	rows = append(rows, []string{"Layers", layersLine(r.Layers)})
	t.table(2, rows)
}

func startLine(s SessionInfo) string {
	start := "unknown time"
	if !s.Start.IsZero() {
		start = s.Start.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	ran := formatDuration(time.Duration(s.DurationMS) * time.Millisecond)
	if !s.Ended {
		return start + ", last event after " + ran + ", no exit recorded"
	}
	end := "exit status unknown"
	switch {
	case s.Signal != "" && s.ExitCode != nil:
		end = fmt.Sprintf("ended by %s (exit code %d)", cell(s.Signal), *s.ExitCode)
	case s.Signal != "":
		end = "ended by " + cell(s.Signal)
	case s.ExitCode != nil:
		end = fmt.Sprintf("exit code %d", *s.ExitCode)
	}
	return start + ", ran " + ran + ", " + end
}

func tierLine(st *TrustStart) string {
	text := fmt.Sprintf("%s, score %s", cell(orUnknown(st.Tier)), formatNumber(st.Score))
	if st.Override != "" {
		text += ", set by hand to " + cell(st.Override)
	}
	state := "trust state " + cell(orUnknown(st.State))
	if st.State != "ok" && st.StateDetail != "" {
		state += ": " + cell(st.StateDetail)
	}
	text += " (" + state + ")"
	if st.ExeChanged {
		text += "; the main .exe changed since the last run"
	}
	return text
}

func profileLine(p *RunProfile) string {
	shell := "shell execution blocked"
	if p.AllowShellExecution {
		shell = "shell execution allowed"
	}
	parts := []string{"network " + cell(orUnknown(p.NetworkMode)), shell}
	if p.MaxChildProcesses > 0 {
		parts = append(parts, fmt.Sprintf("at most %d child processes", p.MaxChildProcesses))
	}
	if p.Filesystem != "" {
		parts = append(parts, cell(p.Filesystem)+" filesystem")
	}
	return strings.Join(parts, ", ")
}

func layersLine(layers []Layer) string {
	if len(layers) == 0 {
		return "no layer events in the log"
	}
	var off []string
	for _, l := range layers {
		if !l.InForce {
			text := cell(l.Name)
			if l.Detail != "" {
				text += " (" + cell(l.Detail) + ")"
			}
			off = append(off, text)
		}
	}
	if len(off) == 0 {
		return fmt.Sprintf("all %d in force", len(layers))
	}
	return fmt.Sprintf("%d of %d in force; NOT in force: %s", len(layers)-len(off), len(layers), strings.Join(off, ", "))
}

// blockedGroup is one category of the Blocked section and how its items
// are shown.
type blockedGroup struct {
	title string
	items []BlockedItem
	row   func(BlockedItem) []string
}

func (t textReport) blocked(b Blocked) {
	t.line("")
	groups := []blockedGroup{
		{"Decoy files opened (the real files are not reachable)", b.SensitiveAccess, func(i BlockedItem) []string {
			return []string{cell(i.Name)}
		}},
		{"Program starts denied", b.Programs, func(i BlockedItem) []string {
			return []string{cell(orUnknown(i.Name)), cell(i.Rule)}
		}},
		{"Programs swapped after approval (policy race)", b.PolicyRaces, func(i BlockedItem) []string {
			return []string{cell(i.Name), cell(i.Detail)}
		}},
		{"New processes refused at the process limit", b.ProcessLimit, func(i BlockedItem) []string {
			return []string{cell(orUnknown(i.Name)), cell(i.Rule)}
		}},
		{"Connection attempts refused by the rate limit", b.RateLimits, func(i BlockedItem) []string {
			return []string{cell(orUnknown(i.Name)), cell(i.Rule)}
		}},
		{"Network connections denied", b.Connections, func(i BlockedItem) []string {
			return []string{cell(i.Protocol), cell(i.Name), cell(i.Domain), cell(i.Rule)}
		}},
		{"DNS queries answered by policy", b.DNS, func(i BlockedItem) []string {
			return []string{cell(i.Name), cell(i.Type), cell(i.Detail)}
		}},
		{"Planted symlinks moved aside", b.PlantedSymlinks, func(i BlockedItem) []string {
			return []string{cell(i.Name), "-> " + cell(i.Target)}
		}},
		{"Sandbox or supervisor failures", b.Failures, func(i BlockedItem) []string {
			return []string{cell(i.Name) + ": " + clip(clean(i.Detail), maxLineRunes)}
		}},
	}
	if b.Total == 0 {
		t.line("Nothing was blocked.")
		return
	}
	t.line("Blocked (%d):", b.Total)
	for _, g := range groups {
		if len(g.items) == 0 {
			continue
		}
		t.line("  %s:", g.title)
		shown := g.items[:min(len(g.items), maxListItems)]
		width := countWidth(shown, func(i BlockedItem) int { return i.Count })
		rows := make([][]string, 0, len(shown))
		for _, item := range shown {
			row := append([]string{pad(item.Count, width)}, g.row(item)...)
			if item.Stage == stagePrefixInit {
				row = append(row, "(prefix creation)")
			}
			rows = append(rows, row)
		}
		t.table(4, rows)
		t.more(4, len(g.items), maxListItems)
	}
}

func (t textReport) trust(tr TrustInfo) {
	t.line("")
	u := tr.Update
	if u == nil {
		t.line("Trust: not updated: %s.", clean(tr.NotUpdatedReason))
		return
	}
	text := fmt.Sprintf("Trust: score %s -> %s, tier %s -> %s", formatNumber(u.ScoreBefore), formatNumber(u.ScoreAfter),
		cell(orUnknown(u.TierBefore)), cell(orUnknown(u.TierAfter)))
	if u.Trend != "" {
		text += ", trend " + cell(u.Trend)
	}
	if u.Clean {
		text += ", clean session"
	}
	t.line("%s", text)
	shown := u.Changes[:min(len(u.Changes), maxListItems)]
	rows := make([][]string, 0, len(shown))
	for _, c := range shown {
		rows = append(rows, []string{formatDelta(c.Delta), clip(clean(c.Reason), maxLineRunes)})
	}
	t.table(4, rows)
	t.more(4, len(u.Changes), maxListItems)
	if !tr.Updated {
		t.line("  The change was not saved, because %s.", clean(tr.NotUpdatedReason))
	}
}

func (t textReport) network(n Network) {
	t.line("")
	anomalies, queries := 0, 0
	for _, a := range n.Anomalies {
		anomalies += a.Count
	}
	for _, q := range n.DNS {
		queries += q.Count
	}
	mode := ""
	if n.Mode != "" {
		mode = " (" + cell(n.Mode) + ")"
	}
	t.line("Network%s: %s, %s, %s", mode, plural(n.UniqueDestinations, "destination"), plural(anomalies, "anomaly"),
		plural(queries, "DNS query"))
	if len(n.Destinations) > 0 {
		t.line("  Destinations:")
		shown := n.Destinations[:min(len(n.Destinations), maxListItems)]
		width := countWidth(shown, func(d Destination) int { return d.Count })
		rows := make([][]string, 0, len(shown))
		for _, d := range shown {
			rows = append(rows, []string{pad(d.Count, width), cell(d.Protocol), cell(orDash(d.Domain)),
				cell(hostPort(d.Address, d.Port)), cell(d.Decision), formatBytes(d.Bytes)})
		}
		t.table(4, rows)
		t.more(4, max(len(n.Destinations), n.UniqueDestinations), maxListItems)
	}
	if len(n.Anomalies) > 0 {
		t.line("  Anomalies:")
		shown := n.Anomalies[:min(len(n.Anomalies), maxListItems)]
		width := countWidth(shown, func(a Anomaly) int { return a.Count })
		rows := make([][]string, 0, len(shown))
		for _, a := range shown {
			rows = append(rows, []string{pad(a.Count, width), cell(a.Reason), cell(anomalyTarget(a)), cell(a.Domain)})
		}
		t.table(4, rows)
		t.more(4, len(n.Anomalies), maxListItems)
	}
	if len(n.DNS) > 0 {
		t.line("  DNS queries:")
		shown := n.DNS[:min(len(n.DNS), maxListItems)]
		width := countWidth(shown, func(q DNSQuery) int { return q.Count })
		rows := make([][]string, 0, len(shown))
		for _, q := range shown {
			rows = append(rows, []string{pad(q.Count, width), cell(q.Name), cell(q.Type), cell(dnsOutcome(q)), cell(dnsAnswer(q))})
		}
		t.table(4, rows)
		t.more(4, len(n.DNS), maxListItems)
	}
	if len(n.Local) > 0 {
		targets := make([]string, 0, len(n.Local))
		for _, l := range n.Local {
			targets = append(targets, l.Target)
		}
		t.line("  Local sockets: %s", nameList(targets))
	}
}

func (t textReport) programs(programs []Program) {
	t.line("")
	var game []Program
	var wine []string
	for _, p := range programs {
		if p.Wine {
			wine = append(wine, baseName(p.Name))
		} else {
			game = append(game, p)
		}
	}
	// The names are shown without counts, so alphabetical order reads best.
	sort.Strings(wine)
	wine = unique(wine)

	t.line("Programs: %d started by the game or its command, %d by Wine itself", len(game), len(wine))
	shown := game[:min(len(game), maxListItems)]
	width := countWidth(shown, func(p Program) int { return p.Allowed + p.Denied })
	rows := make([][]string, 0, len(shown))
	for _, p := range shown {
		var notes []string
		if p.Main {
			notes = append(notes, "main .exe")
		}
		if p.Denied > 0 {
			notes = append(notes, fmt.Sprintf("denied %d (%s)", p.Denied, cell(strings.Join(p.Rules, ", "))))
		}
		rows = append(rows, []string{pad(p.Allowed+p.Denied, width), cell(orUnknown(p.Name)), strings.Join(notes, "; ")})
	}
	t.table(4, rows)
	t.more(4, len(game), maxListItems)

	if len(wine) > 0 {
		t.line("  Wine's own: %s", nameList(wine))
	}
}

func (t textReport) prefixInit(p *PrefixInit) {
	if p == nil {
		return
	}
	starts, anomalies := 0, 0
	for _, prog := range p.Programs {
		starts += prog.Allowed + prog.Denied
	}
	for _, a := range p.Anomalies {
		anomalies += a.Count
	}
	t.line("")
	t.line("Prefix creation before the game (not part of the game's counts): %s, %s, %s",
		plural(starts, "program start"), plural(len(p.Destinations), "destination"), plural(anomalies, "network anomaly"))
	shown := p.Anomalies[:min(len(p.Anomalies), maxListItems)]
	width := countWidth(shown, func(a Anomaly) int { return a.Count })
	rows := make([][]string, 0, len(shown))
	for _, a := range shown {
		rows = append(rows, []string{pad(a.Count, width), cell(a.Reason), cell(anomalyTarget(a)), cell(a.Domain)})
	}
	t.table(4, rows)
	t.more(4, len(p.Anomalies), maxListItems)
}

func (t textReport) warnings(warnings []Warning) {
	var lines, notEnforced []string
	for _, w := range warnings {
		if w.Kind == "not_enforced" {
			notEnforced = append(notEnforced, w.Rule)
			continue
		}
		text := clip(clean(w.Detail), maxLineRunes)
		if w.Kind == "warning" && w.Count > 1 {
			text += fmt.Sprintf(" (%d times)", w.Count)
		}
		lines = append(lines, text)
	}
	if len(notEnforced) > 0 {
		lines = append(lines, "settings parsed but not enforced by this version: "+nameList(notEnforced))
	}
	if len(lines) == 0 {
		return
	}
	t.line("")
	t.line("Warnings:")
	for _, l := range lines[:min(len(lines), maxListItems)] {
		t.line("  - %s", l)
	}
	t.more(2, len(lines), maxListItems)
}

// nameList joins up to maxListItems cleaned names with ", " and counts the
// rest.
func nameList(names []string) string {
	shown := make([]string, 0, maxListItems)
	for _, n := range names[:min(len(names), maxListItems)] {
		shown = append(shown, cell(n))
	}
	text := strings.Join(shown, ", ")
	if len(names) > maxListItems {
		text += fmt.Sprintf(" ... and %d more", len(names)-maxListItems)
	}
	return text
}

func anomalyTarget(a Anomaly) string {
	if a.Target != "" {
		return a.Target
	}
	return a.Image
}

func dnsOutcome(q DNSQuery) string {
	if q.Decision == DecisionDeny {
		return strings.TrimSpace("denied " + q.RCode)
	}
	if q.RCode == "" {
		return q.Result
	}
	return q.RCode
}

// dnsAnswer shows up to three addresses, or the answer records when there
// are none.
func dnsAnswer(q DNSQuery) string {
	list := q.Addresses
	if len(list) == 0 {
		list = q.Answers
	}
	if len(list) == 0 && q.Error != "" {
		return q.Error
	}
	const shown = 3
	text := strings.Join(list[:min(len(list), shown)], " ")
	if len(list) > shown {
		text += fmt.Sprintf(" +%d", len(list)-shown)
	}
	return text
}

func hostPort(address string, port int) string {
	if port == 0 {
		return address
	}
	if strings.Contains(address, ":") {
		return "[" + address + "]:" + strconv.Itoa(port)
	}
	return address + ":" + strconv.Itoa(port)
}

// commandLine joins argv for display, quoting arguments that are empty or
// hold blanks or quotes.
func commandLine(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case a == "" || strings.ContainsAny(a, " \t'\""):
			parts[i] = strconv.Quote(a)
		default:
			parts[i] = clean(a)
		}
	}
	return strings.Join(parts, " ")
}

// baseName returns the file name of a Windows or Linux path.
func baseName(name string) string {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		return name[i+1:]
	}
	return path.Base(name)
}

func unique(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// cell cleans s and shortens it to maxCellRunes.
func cell(s string) string {
	return clip(clean(s), maxCellRunes)
}

// clean escapes what a terminal would act on instead of showing: control
// characters (including tab and newline), invalid UTF-8 and the Unicode
// format characters that can reorder text.
func clean(s string) string {
	safe := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// clip shortens s to n runes, marking the cut with "...".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-3]) + "..."
}

func countWidth[T any](items []T, count func(T) int) int {
	width := 1
	for _, item := range items {
		width = max(width, len(strconv.Itoa(count(item))))
	}
	return width
}

// pad right-aligns n in width columns, so counts line up as in "uniq -c".
func pad(n, width int) string {
	return fmt.Sprintf("%*d", width, n)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "query"), strings.HasSuffix(noun, "anomaly"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	default:
		noun += "s"
	}
	return strconv.Itoa(n) + " " + noun
}

func formatNumber(x float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// formatDelta shows a score change with its sign, and nothing for a change
// of tier or a note, which has none.
func formatDelta(x float64) string {
	switch {
	case x > 0:
		return "+" + formatNumber(x)
	case x == 0:
		return ""
	}
	return formatNumber(x)
}

// formatDuration rounds to a tenth of a second below a minute and to the
// second above.
func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func formatBytes(b *int64) string {
	if b == nil {
		return ""
	}
	n := *b
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B sent", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KiB sent", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MiB sent", float64(n)/(1024*1024))
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
