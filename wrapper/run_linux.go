//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/launcher"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
	"github.com/winewarden/winewarden/trust"
)

// Exit statuses of the wrapper itself. A game's own status passes through
// unchanged.
const (
	ExitUsage = 2
	// ExitSetup: the sandbox could not be built, so nothing ran.
	ExitSetup = 125
)

// Options are the flags of `winewarden run`.
type Options struct {
	Argv          []string
	GameID        string
	GameDir       string
	Network       string // observe, offline or restrict; empty: from config
	AllowDegraded bool
	// Flags are the run's own arguments before the command, so a launcher
	// chain can start winewarden again inside it with the same ones.
	Flags []string

	Stdin, Stdout, Stderr *os.File
	Logger                *slog.Logger
}

// Run launches one game in the sandbox and returns the exit status to pass
// on. Errors before the target starts are returned with ExitSetup or
// ExitUsage; the target never runs unsandboxed because of them.
func Run(opts Options) (int, error) {
	start := time.Now()
	log := opts.Logger
	// The wrapper stays beside the game for the whole session with a small
	// heap, so collecting it twice as often costs little CPU and keeps about
	// 2 MiB off its peak memory (measured with Wine's hello.exe). A GOGC the
	// user set wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	// A closed output pipe, such as `| tee` stopped by the same Ctrl-C,
	// would otherwise kill the wrapper with SIGPIPE before it logs the
	// exit and saves the trust score. Writes now fail with EPIPE instead.
	// Unlike SIG_IGN, a handled signal is reset for the game by execve.
	signal.Notify(make(chan os.Signal, 1), unix.SIGPIPE)
	// Ctrl-C during the setup is held until the game would start, so the
	// session log still gets its exit and a prefix being created is not
	// left half made.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(signals)
	if len(opts.Argv) == 0 {
		return ExitUsage, errors.New("missing command: usage: winewarden run [flags] -- CMD [ARGS...]")
	}

	dirs, err := currentDirs()
	if err != nil {
		return ExitSetup, err
	}
	cfg, err := policy.Load(dirs.ConfigFile)
	if err != nil {
		return ExitSetup, err
	}
	if !cfg.WineWarden.Enabled {
		return ExitSetup, fmt.Errorf("WineWarden is disabled in %s ([winewarden] enabled = false): set it to true, or run the game without winewarden", dirs.ConfigFile)
	}
	if opts.Network != "" && !slices.Contains([]string{"observe", "offline", "restrict"}, opts.Network) {
		return ExitUsage, fmt.Errorf("invalid network mode %q: use observe, offline or restrict", opts.Network)
	}

	cwd, err := os.Getwd()
	if err != nil {
		return ExitSetup, err
	}
	flatpak := inFlatpak()
	// A launcher's expanded command (Steam's %command%) names wrappers
	// that have to stay outside the sandbox.
	chain, err := launcher.ParseCommand(opts.Argv)
	if err != nil {
		return ExitUsage, err
	}
	if len(chain.Outer) > 0 || chain.Runtime != nil {
		return ExitSetup, relaunchInside(chain, opts.Flags, log)
	}
	lctx, tools, err := launcherGame(chain, dirs.Home, log)
	if err != nil {
		return ExitSetup, err
	}
	gameID := opts.GameID
	if gameID == "" {
		gameID = lctx.GameID()
	}
	game, err := Identify(opts.Argv, cwd, gameID, opts.GameDir)
	if errors.Is(err, ErrNoGame) {
		return ExitUsage, err
	}
	if err != nil {
		return ExitSetup, err
	}
	game.Tools = tools
	if cfg, err = applyGamePolicy(cfg, dirs.ConfigFile, game.ID, log); err != nil {
		return ExitSetup, err
	}
	prefixDir := os.Getenv("WINEPREFIX")
	if lctx.Prefix != "" {
		prefixDir = lctx.Prefix
	}
	prefix, err := resolvePrefix(prefixDir, dirs.DataHome, game.ID)
	if err != nil {
		return ExitSetup, err
	}
	// The lock comes before the trust state is read, so two runs of one
	// prefix never score from the same starting point.
	lock, err := lockPrefix(dirs.DataHome, prefix)
	if err != nil {
		return ExitSetup, err
	}
	defer lock.Close()
	tr, err := beginTrust(dirs.DataHome, cfg, game, prefix, log, start)
	if err != nil {
		return ExitSetup, err
	}
	tr.utility = chain.Verb == "getcompatpath" || chain.Verb == "getnativepath"
	cfg, profile := policy.Resolve(cfg, tr.tier().String())
	mode := cfg.Network.Mode
	if opts.Network != "" && opts.Network != mode {
		log.Warn("network mode from --network replaces the tier's", "tier", profile.Tier, "tier_mode", mode, "mode", opts.Network)
		mode = opts.Network
		profile.NetworkMode = mode
	}

	plan, err := prepare(dirs, cfg, game, prefix)
	if err != nil {
		return ExitSetup, err
	}
	if err := plan.hideTrustState(tr.dir, tr.key); err != nil {
		return ExitSetup, err
	}
	plan.view.NewNetwork = mode == "offline"
	steamProfile := lctx.Launcher == launcher.Steam && cfg.Steam.ShowClient
	if steamProfile {
		plan.showSteamClient(dirs, os.Getenv, log)
	}
	network, err := setupNetwork(mode, cfg.Network, dirs.DataHome, log)
	if err != nil {
		return ExitSetup, err
	}
	defer network.close()
	plan.view.setResolvConf(network.resolvConf, network.resolvTarget)

	session := audit.NewSessionID(start)
	alog, err := audit.Create(audit.StateDir(dirs.StateHome), session)
	if err != nil {
		return ExitSetup, fmt.Errorf("creating the session log: %w", err)
	}
	rec := newRecorder(alog, log.With("session", session))
	// The live socket shows the session to `winewarden monitor`. Its
	// readers get the last events only after the log has closed.
	live, err := audit.ServeLive(liveSocketPath(dirs, session), alog, os.Getuid(), rec.logger)
	if err != nil {
		rec.logger.Warn("`winewarden monitor` cannot follow this session", "err", err)
	}
	defer func() {
		rec.close()
		if live != nil {
			live.Close()
		}
	}()
	notes := newNotifier(cfg.WineWarden.Notifications, gameName(game), rec.logger)
	defer notes.wait()
	rec.observe = func(e audit.Event) {
		tr.observe(e)
		if what, ok := trust.Emergency(e); ok {
			notes.emergency(what)
		}
	}
	plan.hostView = flatpak
	rec.start(opts.Argv, game, plan, mode, profile.Tier, cfg)
	rec.emit(tr.startEvent(profile))
	rec.logger.Info("trust tier for this run", "tier", profile.Tier, "score", tr.state.Score, "network", mode,
		"filesystem", profile.Filesystem, "state", tr.status)
	if opts.Network != "" && opts.Network != cfg.Network.Mode {
		rec.emit(audit.Event{Kind: audit.KindWarning, Rule: "network_mode",
			Detail: fmt.Sprintf("--network %s replaces the %s tier's network mode %s for this run", opts.Network, profile.Tier, cfg.Network.Mode)})
	}
	if lctx.Launcher == launcher.Steam {
		note := steamClientNote
		if steamProfile {
			note = steamProfileNote
		}
		rec.emit(audit.Event{Kind: audit.KindWarning, Rule: "steam_client", Detail: note})
		rec.logger.Warn(note)
	}
	running := RunningSession{Session: session, GameID: game.ID, Exe: game.Exe, Prefix: prefix,
		Tier: profile.Tier, Log: alog.Path(), PID: os.Getpid(), Start: start.UTC()}
	if live != nil {
		running.Socket = live.Path()
	}
	unregister, err := registerSession(dirs, running)
	if err != nil {
		rec.logger.Warn("`winewarden status` will not list this session", "err", err)
	} else {
		defer unregister()
	}

	spec := plan.spec(absoluteExe(opts.Argv, game), cwd, opts.AllowDegraded)
	stdio := sandbox.Stdio{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr}
	if flatpak {
		wineprefix := plan.view.Prefix
		if chain.Proton != "" {
			// Proton keeps the Wine prefix in pfx below its data directory.
			wineprefix = filepath.Join(wineprefix, "pfx")
		}
		sockets, err := plan.withoutNamespaces(spec, wineprefix, profile.Filesystem == policy.FilesystemStrict)
		if err != nil {
			rec.exitEvent(ExitSetup, start, err)
			return ExitSetup, err
		}
		network.config.SharedNetwork = true
		network.config.UnixSockets = sockets
		rec.hostRules(spec.Landlock)
		rec.emit(audit.Event{Kind: audit.KindWarning, Rule: "flatpak_profile", Detail: flatpakNote})
		rec.logger.Warn(flatpakNote)
	}

	if needsPrefixInit(opts.Argv, plan.view.Prefix) {
		if err := initPrefix(spec, stdio, opts.Stderr, rec, cfg, network); err != nil {
			rec.exitEvent(ExitSetup, start, err)
			return ExitSetup, err
		}
	}
	// After the prefix exists: wineboot has to write C:\windows while it
	// creates the prefix, and the folders to protect exist only then.
	if profile.Filesystem == policy.FilesystemStrict && !flatpak {
		plan.view.ReadOnly = strictDirs(plan.view.Prefix)
		spec.Mounts = plan.view.Mounts()
	}

	watch, err := watchDecoys(plan.home, plan.decoys, rec.decoyOpened)
	if err != nil {
		return ExitSetup, err
	}
	select {
	case sig := <-signals:
		watch.Stop()
		err := fmt.Errorf("stopped by %s before the game started", sig)
		rec.exitEvent(ExitSetup, start, err)
		return ExitSetup, err
	case <-rec.broken:
		watch.Stop()
		return ExitSetup, fmt.Errorf("the session log %s cannot be written (disk full?), so the game was not started", alog.Path())
	default:
	}
	gameStart := time.Now()
	proc, sup, err := startSupervised(spec, stdio, cfg, network, "game", rec.emit, rec.logger, rec.layers)
	if err != nil {
		watch.Stop()
		rec.denial("sandbox", err.Error())
		rec.exitEvent(ExitSetup, start, err)
		return ExitSetup, err
	}

	waited := make(chan struct{})
	var code int
	var waitErr error
	go func() {
		code, waitErr = proc.Wait()
		close(waited)
	}()
	broken := rec.broken
	var supDone <-chan struct{}
	if sup != nil {
		supDone = sup.Done()
	}
	var logErr error
	for running := true; running; {
		select {
		case <-supDone:
			supDone = nil
			if supErr := sup.Err(); supErr != nil {
				// Nothing may keep running unwatched.
				logErr = fmt.Errorf("the supervisor failed, so the sandbox was stopped: %w", supErr)
				rec.logger.Error("stopping the sandbox", "err", logErr)
				rec.denial("supervisor", logErr.Error())
				proc.Kill()
			}
		case sig := <-signals:
			rec.logger.Info("forwarding signal", "signal", sig.String())
			proc.Signal(sig)
		case <-waited:
			running = false
		case <-broken:
			// A sandbox whose events cannot be recorded is stopped
			// rather than left running unwatched.
			logErr = fmt.Errorf("the session log %s cannot be written (disk full?), so the sandbox was stopped", alog.Path())
			rec.logger.Error("stopping the sandbox", "err", logErr)
			proc.Kill()
			broken = nil
		}
	}
	if sup != nil {
		sup.Close()
	}
	if proc.Swept > 0 {
		detail := fmt.Sprintf("the sandbox's init stage ended first, so %d processes left in the sandbox were killed", proc.Swept)
		rec.emit(audit.Event{Kind: audit.KindWarning, Rule: "sandbox_sweep", Detail: detail})
		rec.logger.Warn(detail)
	}
	opened := watch.Stop()
	rec.decoySummary(opened)
	scored := tr.finish(session, gameStart, time.Since(gameStart), rec.logger)
	rec.write(scored)
	rec.exitEvent(code, start, waitErr)
	if !cfg.WineWarden.EmergencyOnly {
		if text, ok := sessionSummary(scored); ok {
			notes.summary(text)
		}
	}
	return code, logErr
}

// gameName is the game as notifications name it: the .exe's file name when
// there is one, since default game ids end in a 64-digit hash.
func gameName(g Game) string {
	if g.Exe != "" {
		return filepath.Base(g.Exe)
	}
	return g.ID
}

// sessionSummary is the end-of-session notification text, for a session
// that lost score or was not clean.
func sessionSummary(e audit.Event) (string, bool) {
	before, _ := e.Fields["score_before"].(int)
	after, _ := e.Fields["score_after"].(int)
	clean, _ := e.Fields["clean"].(bool)
	if clean && after >= before {
		return "", false
	}
	return fmt.Sprintf("Trust score went from %d to %d, tier %v. Run `winewarden report --last` for what was blocked.", before, after, e.Fields["tier_after"]), true
}

// xdgDirs are the per-user locations WineWarden uses.
type xdgDirs struct {
	Home       string
	ConfigFile string
	DataHome   string // $XDG_DATA_HOME/winewarden
	StateHome  string // $XDG_STATE_HOME
	RuntimeDir string
}

func currentDirs() (xdgDirs, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return xdgDirs{}, fmt.Errorf("finding the home directory: %w", err)
	}
	home, err = filepath.EvalSymlinks(home)
	if err != nil {
		return xdgDirs{}, fmt.Errorf("home directory: %w", err)
	}
	pick := func(env, def string) string {
		if v := os.Getenv(env); filepath.IsAbs(v) {
			return filepath.Clean(v)
		}
		return filepath.Join(home, def)
	}
	return xdgDirs{
		Home:       home,
		ConfigFile: filepath.Join(pick("XDG_CONFIG_HOME", ".config"), "winewarden", "config.toml"),
		DataHome:   filepath.Join(pick("XDG_DATA_HOME", ".local/share"), "winewarden"),
		StateHome:  pick("XDG_STATE_HOME", ".local/state"),
		RuntimeDir: filepath.Clean(os.Getenv("XDG_RUNTIME_DIR")),
	}, nil
}

// isWineLoader reports whether argv starts a Wine loader that can create
// a prefix with wineboot.
func isWineLoader(argv0 string) bool {
	base := filepath.Base(argv0)
	return base == "wine" || base == "wine64"
}

func needsPrefixInit(argv []string, prefix string) bool {
	if prefix == "" || !isWineLoader(argv[0]) {
		return false
	}
	_, err := os.Stat(filepath.Join(prefix, "system.reg"))
	return errors.Is(err, os.ErrNotExist)
}

// initPrefix creates the Wine prefix inside the sandbox (wineboot runs no
// less confined than the game) before the game starts, with a progress line
// on a terminal and silence otherwise.
func initPrefix(spec *sandbox.Spec, stdio sandbox.Stdio, stderr *os.File, rec *recorder, cfg policy.Config, network *networkSetup) error {
	boot := *spec
	boot.Argv = []string{spec.Argv[0], "wineboot", "--init"}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	stop := showProgress(stderr, "Creating the Wine prefix (first run only)")
	// rec.write: what wineboot does while creating the prefix is not the
	// game's doing, so it does not count towards the trust score.
	proc, sup, err := startSupervised(&boot, sandbox.Stdio{Stdin: devnull, Stdout: devnull, Stderr: devnull}, cfg, network, "prefix_init", rec.write, rec.logger, nil)
	if err != nil {
		stop(false)
		return fmt.Errorf("creating the Wine prefix: %w", err)
	}
	code, err := waitSupervised(proc, sup, rec.logger)
	ok := err == nil && code == 0
	stop(ok)
	if !ok {
		if err != nil {
			return fmt.Errorf("creating the Wine prefix: wineboot exited with status %d: %w", code, err)
		}
		return fmt.Errorf("creating the Wine prefix: wineboot exited with status %d", code)
	}
	rec.logger.Info("created Wine prefix", "path", envValue(spec.Env, "WINEPREFIX"))
	return nil
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// absoluteExe replaces the main .exe argument with its absolute path, so a
// path relative to a directory the sandbox does not show still works.
func absoluteExe(argv []string, game Game) []string {
	if game.Exe == "" {
		return argv
	}
	out := append([]string{}, argv...)
	for i, a := range out {
		if strings.HasSuffix(strings.ToLower(a), ".exe") {
			out[i] = game.Exe
			break
		}
	}
	return out
}
