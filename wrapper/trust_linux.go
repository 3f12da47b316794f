//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/trust"
)

// trustRun is the trust state of one launch: read before the sandbox is
// built, because the tier picks the policy, and written after the game
// exits.
type trustRun struct {
	// utility is set for a run that is no game session, such as Steam's
	// path conversions: a clean one leaves the score and the streak of
	// clean sessions alone, while anything blocked still counts.
	utility  bool
	dataHome string
	game     Game
	prefix   string
	rules    trust.Rules
	key      []byte
	store    *trust.Store // nil when no usable key exists
	dir      string

	// status is the load status of the state file (trust.Status*), and
	// statusErr its reason for every status but ok and new.
	status    string
	statusErr error
	// state is this game's entry as the run uses it, with a changed .exe
	// already noted.
	state       *trust.GameState
	exeEntry    *trust.Entry
	previousSHA string

	// capTier is the tier that games.json recorded after the game's last
	// session. The state in the prefix may not exceed it. It is nil when the
	// index has no entry for the game in this prefix.
	capTier *trust.Tier
	// stale is set when the state in the prefix is an older copy than the
	// one the last session wrote, and is replaced like an invalid one.
	stale bool

	tally *trust.Tally
}

// trustRules converts the validated [trust] table.
func trustRules(c policy.Trust) trust.Rules {
	tier, err := trust.ParseTier(c.DefaultTier)
	if err != nil {
		tier = trust.Red // Parse validated the value; this is only a guard
	}
	return trust.Rules{DefaultTier: tier, AutoPromote: c.AutoPromote, PromotionAfterRuns: c.PromotionAfterRuns, DemoteOnUpdate: c.DemoteOnUpdate}
}

// beginTrust loads the game's trust state from its prefix. A state that is
// missing, damaged, forged, older than the last one written, or cannot be
// checked is reported and replaced by a new one at the default tier, capped
// at yellow. Only an authentic state can make a game green. The tier that
// games.json recorded last caps the run either way. It fails only when the state directory in the
// prefix was replaced by something that is not a directory, because the
// sandbox must hide that directory.
func beginTrust(dataHome string, cfg policy.Config, game Game, prefix string, logger *slog.Logger, now time.Time) (*trustRun, error) {
	t := &trustRun{dataHome: dataHome, game: game, prefix: prefix, rules: trustRules(cfg.Trust), dir: trust.Dir(prefix)}
	t.tally = trust.NewTally(game.Exe)

	key, err := trust.LoadKey(dataHome)
	if err != nil {
		t.status, t.statusErr = trust.StatusUnverifiable, err
		logger.Warn("trust state cannot be checked", "err", err)
	} else {
		t.key = key
	}

	res := trust.LoadResult{State: &trust.State{Games: map[string]*trust.GameState{}}, Status: trust.StatusNew}
	if info, err := os.Lstat(t.dir); err == nil || !errors.Is(err, os.ErrNotExist) {
		if err == nil && !info.IsDir() {
			return nil, fmt.Errorf("the trust state directory %s is not a directory (a symlink or file was left there): remove it and run the game again", t.dir)
		}
		store, err := trust.OpenStore(t.dir, key, false)
		if err != nil {
			return nil, err
		}
		if t.key != nil {
			t.store = store
			res = store.Load()
		}
	}
	if t.status == "" {
		t.status, t.statusErr = res.Status, res.Err
	}
	g := res.State.Games[game.ID]
	t.checkIndex(g, logger)
	if t.stale {
		g = nil
	}
	if g == nil {
		g = t.newGame(now)
	}
	if t.capTier != nil {
		trust.CapTier(g, *t.capTier, t.capReason(), now)
	}
	previous := g.ExeSHA256
	if e, changed := trust.NoteExe(g, game.Exe, game.SHA256, t.rules, now); changed {
		t.exeEntry = &e
		t.previousSHA = previous
	}
	t.state = g
	if t.statusErr != nil {
		logger.Warn("trust state not usable, so the game runs at the default tier (at most yellow)", "status", t.status, "err", t.statusErr)
	}
	return t, nil
}

// checkIndex compares the state found in the prefix with the record that
// games.json kept when the game's state was last written. A file that
// vanished is missing. A file whose history lacks the session that last
// wrote it is an older copy. Either way the recorded tier caps the run.
func (t *trustRun) checkIndex(g *trust.GameState, logger *slog.Logger) {
	idx, err := trust.ReadIndex(t.dataHome)
	if err != nil {
		logger.Warn("game index unreadable, so a trust state put back from an older copy cannot be detected", "err", err)
		return
	}
	e, ok := idx.Games[t.game.ID]
	if !ok || e.StateDir != t.dir {
		return
	}
	t.setCap(e)
	state := filepath.Join(t.dir, trust.FileName)
	switch {
	case !e.StateWritten:
	case t.status == trust.StatusNew || (t.status == trust.StatusOK && g == nil):
		t.status = trust.StatusMissing
		t.statusErr = fmt.Errorf("%s is missing this game's state, which session %s wrote (use `winewarden trust reset` to start a game over)", state, e.WrittenBy)
	case t.status == trust.StatusOK && e.WrittenBy != "" && g.HistoryDropped == 0 && !inHistory(g, e.WrittenBy):
		t.status = trust.StatusInvalid
		t.statusErr = fmt.Errorf("%s contains an older state of this game than the one session %s wrote (was an old copy restored?)", state, e.WrittenBy)
		t.stale = true
	}
}

// refreshCap reads the recorded tier again before the state is written, so
// that a `winewarden trust set` made while the game ran is not capped by
// the tier recorded before it.
func (t *trustRun) refreshCap() {
	idx, err := trust.ReadIndex(t.dataHome)
	if err != nil {
		return
	}
	if e, ok := idx.Games[t.game.ID]; ok && e.StateDir == t.dir {
		t.setCap(e)
	}
}

// setCap takes the tier recorded in e as the cap of this run.
func (t *trustRun) setCap(e trust.IndexEntry) {
	if tier, err := trust.ParseTier(e.Tier); err == nil {
		t.capTier = &tier
	}
}

func inHistory(g *trust.GameState, session string) bool {
	for _, h := range g.History {
		if h.Session == session {
			return true
		}
	}
	return false
}

func (t *trustRun) capReason() string {
	return "the last tier WineWarden recorded for this game (in " + trust.IndexName + ") is " + t.capTier.String() + ", lower than the state in the prefix"
}

// newGame is the state of a game without a usable state. Only a genuinely
// new game gets a green default tier.
func (t *trustRun) newGame(now time.Time) *trust.GameState {
	rules := t.rules
	if t.status != trust.StatusNew && t.status != trust.StatusOK && rules.DefaultTier > trust.Yellow {
		rules.DefaultTier = trust.Yellow
	}
	return trust.NewGame(t.game.ID, rules, now)
}

// tier returns the tier of this run.
func (t *trustRun) tier() trust.Tier { return t.state.Effective() }

// startEvent records the tier chosen for the run and why.
func (t *trustRun) startEvent(profile policy.Profile) audit.Event {
	fields := map[string]any{
		"game_id":     t.game.ID,
		"tier":        t.tier().String(),
		"score":       t.state.Score,
		"state":       t.status,
		"exe_changed": t.exeEntry != nil,
		"profile":     profile,
	}
	detail := ""
	if t.statusErr != nil {
		detail = t.statusErr.Error()
	}
	fields["state_detail"] = detail
	override := ""
	if t.state.Override != nil {
		override = t.state.Override.String()
	}
	fields["override"] = override
	if t.exeEntry != nil {
		fields["changes"] = t.exeEntry.Changes
		fields["previous_exe_sha256"] = t.previousSHA
	}
	return audit.Event{Kind: audit.KindTrust, Detail: "tier for this run", Path: filepath.Join(t.dir, trust.FileName), Fields: fields}
}

// observe counts one event of the game's own run.
func (t *trustRun) observe(e audit.Event) { t.tally.Add(e) }

// finish scores the session and writes the state back under its lock. The
// state is read again first, so a `winewarden trust set` made while the
// game ran is kept. It returns the event that records the change.
func (t *trustRun) finish(session string, start time.Time, duration time.Duration, logger *slog.Logger) audit.Event {
	s := t.tally.Session(trust.Session{ID: session, Start: start, Duration: duration})
	fields := map[string]any{"game_id": t.game.ID, "state_path": filepath.Join(t.dir, trust.FileName)}
	if t.utility {
		preview := *t.state
		preview.History = nil
		if trust.Apply(&preview, s, t.rules).Clean {
			fields["utility"] = true
			return audit.Event{Kind: audit.KindTrust, Detail: "trust unchanged: a clean launcher utility run is no game session", Fields: fields}
		}
	}
	var applied trust.Entry
	var final *trust.GameState
	t.refreshCap()
	write := func() error {
		if t.key == nil {
			return fmt.Errorf("the trust key is unusable (%v), so the state cannot be written", t.statusErr)
		}
		if t.store == nil {
			store, err := trust.OpenStore(t.dir, t.key, true)
			if err != nil {
				return err
			}
			t.store = store
		}
		return t.store.Update(func(res trust.LoadResult) error {
			g := res.State.Games[t.game.ID]
			if g == nil || t.stale {
				g = t.newGame(start)
				if t.statusErr != nil {
					trust.NoteInvalid(g, t.status, t.statusErr, start)
				}
				res.State.Games[t.game.ID] = g
			}
			if t.capTier != nil {
				trust.CapTier(g, *t.capTier, t.capReason(), start)
			}
			trust.NoteExe(g, t.game.Exe, t.game.SHA256, t.rules, start)
			applied = trust.Apply(g, s, t.rules)
			final = g
			return nil
		})
	}
	written := true
	if err := write(); err != nil {
		logger.Error("trust state not updated", "err", err, "path", fields["state_path"])
		fields["write_error"] = err.Error()
		// Show what the session did to the score, and keep its tier in
		// the index, so that a decoy read still makes the next run red.
		g := *t.state
		g.History = nil
		applied = trust.Apply(&g, s, t.rules)
		final = &g
		written = false
	}
	t.updateIndex(session, start, final.Effective(), written, logger)

	changes := applied.Changes
	before, tierBefore := applied.ScoreBefore, applied.TierBefore
	if t.exeEntry != nil {
		changes = append(append([]trust.Change{}, t.exeEntry.Changes...), changes...)
		before, tierBefore = t.exeEntry.ScoreBefore, t.exeEntry.TierBefore
	}
	fields["score_before"] = before
	fields["score_after"] = applied.ScoreAfter
	fields["tier_before"] = tierBefore.String()
	fields["tier_after"] = applied.TierAfter.String()
	fields["changes"] = changes
	fields["clean"] = applied.Clean
	fields["trend"] = final.Trend
	return audit.Event{Kind: audit.KindTrust, Detail: "trust updated", Fields: fields}
}

func (t *trustRun) updateIndex(session string, start time.Time, tier trust.Tier, written bool, logger *slog.Logger) {
	err := trust.UpdateIndex(t.dataHome, func(idx *trust.Index) {
		e := idx.Games[t.game.ID]
		if e.StateDir != t.dir {
			e = trust.IndexEntry{}
		}
		e.GameID, e.Prefix, e.StateDir, e.Exe = t.game.ID, t.prefix, t.dir, t.game.Exe
		e.LastSession, e.LastRun, e.Tier = session, start.UTC(), tier.String()
		if written {
			e.StateWritten, e.WrittenBy = true, session
		}
		idx.Games[t.game.ID] = e
	})
	if err != nil {
		logger.Warn("game index not updated; `winewarden trust list` may miss this game", "err", err)
	}
}

// describeTrust lists the trust settings and each tier's profile for
// `winewarden doctor`.
func describeTrust(cfg policy.Config) []string {
	promote := "no automatic promotion"
	if cfg.Trust.AutoPromote {
		promote = fmt.Sprintf("promotion after %d clean sessions in a row", cfg.Trust.PromotionAfterRuns)
	}
	update := "a changed .exe keeps its tier"
	if cfg.Trust.DemoteOnUpdate {
		update = "a changed .exe drops one tier"
	}
	lines := []string{fmt.Sprintf("default tier %s, %s, %s", cfg.Trust.DefaultTier, promote, update)}
	if dirs, err := currentDirs(); err == nil {
		if err := trust.CheckKey(dirs.DataHome); err != nil {
			lines = append(lines, "WARNING: "+err.Error()+"; until then no game's trust state can be checked or saved")
		} else {
			lines = append(lines, "trust key "+filepath.Join(dirs.DataHome, trust.KeyName)+" is usable (or is created at the first run)")
		}
	}
	for _, tier := range []string{"red", "yellow", "green"} {
		_, p := policy.Resolve(cfg, tier)
		shells := "no shells"
		if p.AllowShellExecution {
			shells = "shells allowed"
		}
		lines = append(lines, fmt.Sprintf("%s tier: network %s, %s, at most %d processes, %s filesystem", tier, p.NetworkMode, shells, p.MaxChildProcesses, p.Filesystem))
	}
	return lines
}

// describeNotifications reports whether desktop notifications can be sent.
func describeNotifications(cfg policy.Config) string {
	switch {
	case !cfg.WineWarden.Notifications:
		return "off ([winewarden] notifications = false)"
	case newNotifier(true, "", slog.New(slog.DiscardHandler)).enabled:
		return "on, sent on the session bus"
	}
	return "on, but no session bus was found (DBUS_SESSION_BUS_ADDRESS is unset), so none are sent"
}
