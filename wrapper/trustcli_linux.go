//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/trust"
)

const trustUsage = `Usage:
  winewarden trust list                     games with their tier, score and last run
  winewarden trust show GAME                one game's state and history
  winewarden trust set GAME red|yellow|green  fix a game's tier (automatic scoring keeps the score but not the tier)
  winewarden trust reset GAME               forget a game's score and tier (the history stays)

GAME is a game id, the start of one, or the path of a Wine prefix (all games in it).
`

// maxShownHistory is the number of history entries `trust show` prints.
const maxShownHistory = 20

// TrustCommand runs `winewarden trust ...` and returns the exit status.
func TrustCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, trustUsage)
		return ExitUsage
	}
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		err = trustList(dirs, stdout)
	case args[0] == "show" && len(args) == 2:
		err = trustShow(dirs, args[1], stdout)
	case args[0] == "set" && len(args) == 3:
		err = trustSet(dirs, args[1], args[2], stdout)
	case args[0] == "reset" && len(args) == 2:
		err = trustReset(dirs, args[1], stdout)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, trustUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "winewarden trust: invalid arguments %q\n\n%s", args, trustUsage)
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	return 0
}

// trustTarget is the target of a GAME argument: the state directory and
// the game ids in it to act on.
type trustTarget struct {
	dir    string
	prefix string
	ids    []string
	// written marks the ids whose state an earlier run wrote, by the index.
	written map[string]bool
}

func resolveTarget(dirs xdgDirs, name string, key []byte) (trustTarget, error) {
	if strings.TrimSpace(name) == "" {
		return trustTarget{}, errors.New("missing GAME: give a game id from `winewarden trust list`, or the path of a Wine prefix")
	}
	if strings.Contains(name, "/") {
		prefix, err := filepath.Abs(name)
		if err != nil {
			return trustTarget{}, err
		}
		if real, err := filepath.EvalSymlinks(prefix); err == nil {
			prefix = real
		}
		t := trustTarget{dir: trust.Dir(prefix), prefix: prefix}
		store, err := trust.OpenStore(t.dir, key, false)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return t, fmt.Errorf("no game has run in the prefix %s under WineWarden", prefix)
			}
			return t, err
		}
		for id := range store.Load().State.Games {
			t.ids = append(t.ids, id)
		}
		// A state that cannot be read still names its games in the index.
		if idx, err := trust.ReadIndex(dirs.DataHome); err == nil && len(t.ids) == 0 {
			for _, e := range idx.Sorted() {
				if e.StateDir == t.dir {
					t.ids = append(t.ids, e.GameID)
				}
			}
		}
		slices.Sort(t.ids)
		t.written = map[string]bool{}
		if idx, err := trust.ReadIndex(dirs.DataHome); err == nil {
			for _, e := range idx.Games {
				if e.StateDir == t.dir {
					t.written[e.GameID] = e.StateWritten
				}
			}
		}
		if len(t.ids) == 0 {
			return t, fmt.Errorf("no game has run in the prefix %s under WineWarden", prefix)
		}
		return t, nil
	}
	idx, err := trust.ReadIndex(dirs.DataHome)
	if err != nil {
		return trustTarget{}, err
	}
	e, err := idx.Find(name)
	if err != nil {
		return trustTarget{}, err
	}
	return trustTarget{dir: e.StateDir, prefix: e.Prefix, ids: []string{e.GameID}, written: map[string]bool{e.GameID: e.StateWritten}}, nil
}

func loadConfigRules(dirs xdgDirs) (trust.Rules, error) {
	cfg, err := policy.Load(dirs.ConfigFile)
	if err != nil {
		return trust.Rules{}, err
	}
	return trustRules(cfg.Trust), nil
}

func trustList(dirs xdgDirs, w io.Writer) error {
	idx, err := trust.ReadIndex(dirs.DataHome)
	if err != nil {
		return err
	}
	entries := idx.Sorted()
	if len(entries) == 0 {
		fmt.Fprintln(w, "No games yet: start one with `winewarden run -- wine game.exe`.")
		return nil
	}
	key, keyErr := trust.LoadKey(dirs.DataHome)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GAME\tTIER\tSCORE\tTREND\tLAST RUN\tSTATE")
	for _, e := range entries {
		tier, score, trend, state := "-", "-", "-", stateOf(e, key, keyErr)
		if g := state.game; g != nil {
			tier, score, trend = tierLabel(g), fmt.Sprint(g.Score), g.Trend
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", shortID(e.GameID), tier, score, trend, e.LastRun.Local().Format("2006-01-02 15:04"), state.status)
	}
	return tw.Flush()
}

type gameStatus struct {
	game   *trust.GameState
	status string
	err    error
}

// stateOf loads one game's state for listing. A problem shows in the
// status column instead of stopping the list.
func stateOf(e trust.IndexEntry, key []byte, keyErr error) gameStatus {
	if keyErr != nil {
		return gameStatus{status: trust.StatusUnverifiable, err: keyErr}
	}
	store, err := trust.OpenStore(e.StateDir, key, false)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return gameStatus{status: trust.StatusMissing, err: err}
		}
		return gameStatus{status: trust.StatusUnreadable, err: err}
	}
	res := store.Load()
	if res.Status != trust.StatusOK {
		status := res.Status
		if status == trust.StatusNew {
			status = trust.StatusMissing
		}
		return gameStatus{status: status, err: res.Err}
	}
	g := res.State.Games[e.GameID]
	if g == nil {
		return gameStatus{status: trust.StatusMissing, err: fmt.Errorf("%s has no entry for %s", store.Path(), e.GameID)}
	}
	return gameStatus{game: g, status: trust.StatusOK}
}

func tierLabel(g *trust.GameState) string {
	if g.Override != nil {
		return g.Override.String() + " (set)"
	}
	return g.Tier.String()
}

// shortID abbreviates the long default ids (name and SHA-256) for tables.
// The abbreviation still selects the game in `trust show`.
func shortID(id string) string {
	if len(id) > 32 {
		return id[:30] + "…"
	}
	return id
}

// openTarget resolves a GAME argument and opens its state directory, which
// create makes when it is missing.
func openTarget(dirs xdgDirs, name string, create bool) (trustTarget, *trust.Store, error) {
	key, err := trust.LoadKey(dirs.DataHome)
	if err != nil {
		return trustTarget{}, nil, err
	}
	t, err := resolveTarget(dirs, name, key)
	if err != nil {
		return t, nil, err
	}
	store, err := trust.OpenStore(t.dir, key, create)
	return t, store, err
}

func trustShow(dirs xdgDirs, name string, w io.Writer) error {
	t, store, err := openTarget(dirs, name, false)
	if err != nil {
		return err
	}
	res := store.Load()
	for i, id := range t.ids {
		if i > 0 {
			fmt.Fprintln(w)
		}
		g := res.State.Games[id]
		fmt.Fprintf(w, "Game:      %s\n", id)
		fmt.Fprintf(w, "Prefix:    %s\n", t.prefix)
		fmt.Fprintf(w, "State:     %s (%s)\n", store.Path(), describeStatus(res, t.written[id]))
		if g == nil {
			fmt.Fprintln(w, "No trust state for this game: its next run starts at the default tier (at most yellow).")
			continue
		}
		fmt.Fprintf(w, "Tier:      %s, score %d, trend %s\n", tierLabel(g), g.Score, g.Trend)
		if g.Override != nil {
			fmt.Fprintf(w, "           set by you; the score alone would give %s (`winewarden trust reset` returns to scoring)\n", g.Tier)
		}
		fmt.Fprintf(w, "Clean:     %d session(s) in a row, %d min of clean play towards the next hour\n", g.CleanStreak, g.CleanCarrySeconds/60)
		if g.Exe != "" {
			fmt.Fprintf(w, "Main .exe: %s (SHA-256 %s)\n", g.Exe, g.ExeSHA256)
		}
		fmt.Fprintln(w, "History, newest first:")
		shown := 0
		for i := len(g.History) - 1; i >= 0 && shown < maxShownHistory; i-- {
			writeEntry(w, g.History[i])
			shown++
		}
		if older := len(g.History) - shown + g.HistoryDropped; older > 0 {
			fmt.Fprintf(w, "  ... and %d older entries\n", older)
		}
	}
	return nil
}

// describeStatus names a load status as `trust list` does: a file that an
// earlier run wrote and that is gone is missing, not new.
func describeStatus(res trust.LoadResult, written bool) string {
	switch {
	case res.Status == trust.StatusOK:
		return "authentic"
	case res.Status == trust.StatusNew && written:
		return "missing: an earlier run wrote it"
	case res.Status == trust.StatusNew:
		return "not written yet"
	}
	return fmt.Sprintf("%s: %v", res.Status, res.Err)
}

func writeEntry(w io.Writer, e trust.Entry) {
	what := e.Kind
	if e.Kind == trust.EntrySession {
		what = fmt.Sprintf("session %s, %s", e.Session, (time.Duration(e.DurationSeconds) * time.Second).String())
	}
	fmt.Fprintf(w, "  %s  %s: %d -> %d, %s -> %s\n", e.Date.Local().Format("2006-01-02 15:04"), what, e.ScoreBefore, e.ScoreAfter, e.TierBefore, e.TierAfter)
	for _, c := range e.Changes {
		if c.Delta != 0 {
			fmt.Fprintf(w, "      %+d  %s\n", c.Delta, c.Reason)
		} else {
			fmt.Fprintf(w, "          %s\n", c.Reason)
		}
	}
}

// changeTrust applies change to each game the target names, under the
// state file's lock.
func changeTrust(dirs xdgDirs, name string, change func(*trust.GameState, trust.Rules, time.Time) string, w io.Writer) error {
	rules, err := loadConfigRules(dirs)
	if err != nil {
		return err
	}
	t, store, err := openTarget(dirs, name, true)
	if err != nil {
		return err
	}
	idx, _ := trust.ReadIndex(dirs.DataHome)
	now := time.Now()
	var lines []string
	tiers := map[string]trust.Tier{}
	err = store.Update(func(res trust.LoadResult) error {
		if res.Status == trust.StatusInvalid {
			lines = append(lines, fmt.Sprintf("The trust state was invalid (%v); it is kept as %s.invalid-* and replaced.", res.Err, store.Path()))
		}
		for _, id := range t.ids {
			g := res.State.Games[id]
			if g == nil {
				g = trust.NewGame(id, rules, now)
				if e, ok := idx.Games[id]; ok {
					g.Exe = e.Exe
				}
				if res.Status == trust.StatusInvalid {
					trust.NoteInvalid(g, res.Status, res.Err, now)
				}
				res.State.Games[id] = g
			}
			lines = append(lines, id+": "+change(g, rules, now))
			tiers[id] = g.Effective()
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The index caps what later runs get, so it follows the user's change.
	err = trust.UpdateIndex(dirs.DataHome, func(idx *trust.Index) {
		for id, tier := range tiers {
			e := idx.Games[id]
			if e.GameID == "" {
				e = trust.IndexEntry{GameID: id, Prefix: t.prefix, StateDir: t.dir}
			}
			if e.StateDir == t.dir {
				e.Tier = tier.String()
				idx.Games[id] = e
			}
		}
	})
	if err != nil {
		return fmt.Errorf("the trust state changed, but the game index did not: %w", err)
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}

func trustSet(dirs xdgDirs, name, tierName string, w io.Writer) error {
	tier, err := trust.ParseTier(tierName)
	if err != nil {
		return err
	}
	return changeTrust(dirs, name, func(g *trust.GameState, _ trust.Rules, now time.Time) string {
		trust.SetOverride(g, tier, now)
		msg := "tier set to " + tier.String() + ". Scoring keeps changing the score but not this tier"
		if tier != trust.Red {
			msg += ", except that a sensitive-access attempt still drops the game to red"
		}
		return msg + "."
	}, w)
}

func trustReset(dirs xdgDirs, name string, w io.Writer) error {
	return changeTrust(dirs, name, func(g *trust.GameState, rules trust.Rules, now time.Time) string {
		trust.Reset(g, rules, now)
		return fmt.Sprintf("reset to %s, score %d (the history is kept).", g.Tier, g.Score)
	}, w)
}
