package wrapper

import (
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
)

// recorder writes a session's events to the session log and mirrors the
// important ones to the wrapper's own log.
type recorder struct {
	log    *audit.Log
	logger *slog.Logger
	// broken is closed at the first failed write: a sandbox whose events
	// can no longer be recorded must not keep running unwatched.
	broken     chan struct{}
	brokenOnce sync.Once
	// observe, when set, receives every event of the game's own run (the
	// trust tally and the emergency notification).
	observe func(audit.Event)
}

func newRecorder(log *audit.Log, logger *slog.Logger) *recorder {
	return &recorder{log: log, logger: logger, broken: make(chan struct{})}
}

// emit records an event of the game's run.
func (r *recorder) emit(e audit.Event) {
	r.write(e)
	if r.observe != nil {
		r.observe(e)
	}
}

// write records an event without counting it for the game.
func (r *recorder) write(e audit.Event) {
	if err := r.log.Emit(e); err != nil {
		// Later drops are counted by the log and reported when it closes.
		r.brokenOnce.Do(func() {
			r.logger.Error("session log write failed", "err", err, "path", r.log.Path())
			close(r.broken)
		})
	}
}

func boolPtr(b bool) *bool { return &b }
func intPtr(i int) *int    { return &i }

func (r *recorder) start(argv []string, game Game, p *plan, mode, tier string, cfg policy.Config) {
	r.emit(audit.Event{Kind: audit.KindSessionStart, Fields: map[string]any{
		"argv":         argv,
		"game_id":      game.ID,
		"exe":          game.Exe,
		"exe_sha256":   game.SHA256,
		"install_dir":  p.view.InstallDir,
		"prefix":       p.view.Prefix,
		"virtual_home": p.view.VirtualHome,
		"network_mode": mode,
		"profile":      tier,
	}})
	r.logger.Info("session started", "game", game.ID, "log", r.log.Path())
	for _, key := range policy.NotEnforced(cfg) {
		r.emit(audit.Event{Kind: audit.KindNotEnforced, Rule: key, Detail: "parsed but not enforced by this version"})
	}
	for _, id := range p.earlierIDs {
		msg := "the .exe differs from an earlier run (a game update?), so this run starts with a new virtual home and prefix; " +
			"the earlier saves are kept under game id " + id + ": pass --game-id " + id + " to keep using them"
		r.emit(audit.Event{Kind: audit.KindWarning, Rule: "game_id", Detail: msg})
		r.logger.Warn(msg)
	}
	if !p.hostView {
		r.mountView(p)
	}
	for _, n := range p.neutralized {
		r.emit(audit.Event{Kind: audit.KindDenial, Path: "~/" + n.Path, Target: n.LinkTo, Decision: audit.DecisionNeutralized,
			Rule: "planted_symlink", Detail: "symlink in the virtual home moved to " + n.MovedTo + " instead of being followed"})
		r.logger.Warn("moved a planted symlink out of the virtual home", "path", n.Path, "target", n.LinkTo, "quarantine", n.MovedTo)
	}
}

// mountView records the mount steps of the sandbox's view.
func (r *recorder) mountView(p *plan) {
	var mounts []string
	for _, m := range p.view.Mounts() {
		desc := string(m.Kind) + " " + m.Target
		if m.Source != "" && m.Source != m.Target {
			desc += " <- " + m.Source
		}
		if m.ReadOnly {
			desc += " (ro)"
		}
		mounts = append(mounts, desc)
	}
	r.emit(audit.Event{Kind: audit.KindMount, Detail: "mount view", Fields: map[string]any{"mounts": mounts, "hidden_in_binds": p.view.Masks}})
}

// hostRules records the Landlock rules of a sandbox without a mount view,
// which are its whole filesystem policy.
func (r *recorder) hostRules(rules []sandbox.AccessRule) {
	var list []string
	for _, rule := range rules {
		list = append(list, string(rule.Access)+" "+rule.Path)
	}
	r.emit(audit.Event{Kind: audit.KindMount, Detail: "no mount view: Landlock rules on the host's paths", Fields: map[string]any{"rules": list}})
}

func (r *recorder) layers(layers []sandbox.Layer) {
	for _, l := range layers {
		r.emit(audit.Event{Kind: audit.KindLayer, Layer: l.Name, InForce: boolPtr(l.InForce), Detail: l.Detail})
		if !l.InForce {
			r.logger.Warn("protection layer not in force", "layer", l.Name, "detail", l.Detail)
		}
	}
}

func (r *recorder) denial(rule, detail string) {
	r.emit(audit.Event{Kind: audit.KindDenial, Decision: audit.DecisionDeny, Rule: rule, Detail: detail})
}

func (r *recorder) decoyOpened(d Decoy) {
	r.emit(audit.Event{Kind: audit.KindSensitiveAccess, Path: "~/" + d.Rel, Rule: "decoy", Decision: audit.DecisionDeny,
		Detail: "a program in the sandbox opened the decoy " + d.Label + "; the real file is not reachable"})
	r.logger.Warn("sensitive access attempt", "path", "~/"+d.Rel, "what", d.Label)
}

func (r *recorder) decoySummary(opened map[string]int) {
	if len(opened) == 0 {
		return
	}
	paths := make([]string, 0, len(opened))
	for p := range opened {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	counts := map[string]any{}
	for _, p := range paths {
		counts["~/"+p] = opened[p]
	}
	r.emit(audit.Event{Kind: audit.KindSensitiveAccess, Rule: "decoy", Detail: "decoy opens this session", Fields: map[string]any{"opens": counts}})
}

func (r *recorder) exitEvent(code int, start time.Time, err error) {
	e := audit.Event{Kind: audit.KindExit, ExitCode: intPtr(code), Fields: map[string]any{
		"duration_ms":          time.Since(start).Milliseconds(),
		"wrapper_peak_rss_kib": peakRSS(),
		"wrapper_cpu_ms":       cpuTime().Milliseconds(),
	}}
	if code > 128 && code < 128+65 {
		e.Signal = sigName(code - 128)
	}
	if err != nil {
		e.Detail = err.Error()
	}
	r.emit(e)
}

func (r *recorder) close() {
	if err := r.log.Close(); err != nil {
		r.logger.Error("closing the session log", "err", err, "path", r.log.Path())
	}
	os.Stderr.Sync()
}
