//go:build linux

package wrapper

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/dashboard"
	"github.com/winewarden/winewarden/trust"
)

const monitorUsage = `Usage: winewarden monitor [--session ID|last] [--speed N]

Shows live what a sandboxed game does. Without --session it follows the
running session, lets you choose when several run, or waits for one to
start. winewarden status lists the running sessions, and winewarden
report --last names the latest one.
  --session ID   follow that session while it runs, or replay its log;
                 "last" is the latest session
  --speed N      replay speed: 2 is twice as fast, 0 shows the whole log at once (default 1)
`

// replayMaxGap shortens long pauses in a replayed session.
const replayMaxGap = 2 * time.Second

// MonitorCommand runs `winewarden monitor`.
func MonitorCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, monitorUsage) }
	session := fs.String("session", "", "session id")
	speedText := fs.String("speed", "1", "replay speed")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "winewarden: unexpected argument %q\n", fs.Arg(0))
		fmt.Fprint(stderr, monitorUsage)
		return ExitUsage
	}
	speed, err := strconv.ParseFloat(*speedText, 64)
	if err != nil || !(speed >= 0) || math.IsInf(speed, 1) {
		fmt.Fprintf(stderr, "winewarden: invalid --speed %q: use 0 or a positive number\n", *speedText)
		return ExitUsage
	}
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	if *session == "last" {
		last, err := audit.LastSession(audit.StateDir(dirs.StateHome))
		if err != nil {
			fmt.Fprintln(stderr, "winewarden:", err)
			return 1
		}
		*session = last
	}
	if *session == "" {
		chosen, ok, err := chooseSession(dirs, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "winewarden:", err)
			return 1
		}
		if !ok {
			return 0
		}
		// A session that ends just as it is picked shows its final
		// state at once.
		*session, speed = chosen, 0
	}
	feed, source, err := monitorFeed(dirs, *session, speed)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	model := dashboard.NewModel(dashboard.NewState(), source, feed.Next()).WithHistory(func(gameID string) []int {
		return scoreHistory(dirs, gameID)
	})
	// WithFPS caps the renderer at the 20 frames per second that the feed
	// batches for, and lets it wake up less often while nothing changes.
	program := tea.NewProgram(model, tea.WithAltScreen(), tea.WithOutput(stdout), tea.WithFPS(20))
	if _, err := program.Run(); err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	return 0
}

// chooseSession returns the running session to follow: the only one, or
// the one the user picks when several run. With none running it returns ""
// and true, so the monitor waits for one; false means the user quit.
func chooseSession(dirs xdgDirs, stdout io.Writer) (string, bool, error) {
	choicesOf := func(running []RunningSession) []dashboard.Choice {
		var choices []dashboard.Choice
		for _, r := range running {
			if r.Socket != "" {
				choices = append(choices, dashboard.Choice{Session: r.Session, GameID: r.GameID, Tier: r.Tier, Start: r.Start})
			}
		}
		return choices
	}
	// The picker lists the sessions again each second, and a listing that
	// fails then shows none.
	list := func() []dashboard.Choice {
		running, _ := runningSessions(dirs)
		return choicesOf(running)
	}
	running, err := runningSessions(dirs)
	if err != nil {
		return "", false, err
	}
	choices := choicesOf(running)
	switch len(choices) {
	case 0:
		return "", true, nil
	case 1:
		return choices[0].Session, true, nil
	}
	final, err := tea.NewProgram(dashboard.NewPicker(choices, list), tea.WithAltScreen(), tea.WithOutput(stdout)).Run()
	if err != nil {
		return "", false, err
	}
	c, ok := final.(dashboard.Picker).Chosen()
	return c.Session, ok, nil
}

// monitorFeed picks what to show: the named session, live while it runs
// and replayed from its log after, or else the first session that starts.
func monitorFeed(dirs xdgDirs, session string, speed float64) (*dashboard.Feed, string, error) {
	running, err := runningSessions(dirs)
	if err != nil {
		return nil, "", err
	}
	if session != "" {
		for _, r := range running {
			if r.Session == session && r.Socket != "" {
				feed, err := dashboard.Follow(r.Socket)
				return feed, "live", err
			}
		}
		path, err := audit.SessionLogPath(audit.StateDir(dirs.StateHome), session)
		if err != nil {
			return nil, "", err
		}
		feed, err := dashboard.Replay(path, speed, replayMaxGap)
		return feed, "replay", err
	}
	feed := dashboard.Wait(func() (string, bool) {
		sessions, _ := runningSessions(dirs)
		for i := len(sessions) - 1; i >= 0; i-- {
			if sessions[i].Socket != "" {
				return sessions[i].Socket, true
			}
		}
		return "", false
	}, time.Second)
	return feed, "live", nil
}

// scoreHistory returns a game's score after each session in its trust
// state, oldest first, or nil when the state cannot be read.
func scoreHistory(dirs xdgDirs, gameID string) []int {
	idx, err := trust.ReadIndex(dirs.DataHome)
	if err != nil {
		return nil
	}
	e, ok := idx.Games[gameID]
	if !ok {
		return nil
	}
	key, err := trust.LoadKey(dirs.DataHome)
	if err != nil {
		return nil
	}
	store, err := trust.OpenStore(e.StateDir, key, false)
	if err != nil {
		return nil
	}
	g := store.Load().State.Games[gameID]
	if g == nil {
		return nil
	}
	var scores []int
	for _, h := range g.History {
		if h.Kind == trust.EntrySession {
			scores = append(scores, h.ScoreAfter)
		}
	}
	return scores
}
