package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/sandbox"
	"github.com/winewarden/winewarden/tests/testprog"
)

// The integration suite runs the real winewarden binary, real Wine and
// real kernel features as the current (unprivileged) user. All tests share
// one "real" home and one Wine prefix, because creating a prefix takes
// seconds. Tests that need a fresh virtual home use their own --game-id.

var (
	binary   string // built winewarden
	world    *env   // shared home, prefix and programs
	setupErr error
	// dnsServer plays the system's resolver: every config the tests write
	// names it in [network] dns_servers, so that no query leaves the host.
	dnsServer *testDNS
)

// env is a throwaway user environment: a fake real home with planted
// secrets, XDG directories inside it, a game directory with the test
// programs, and a shared Wine prefix.
type env struct {
	root     string
	home     string
	gameDir  string
	probeExe string // probe.exe inside gameDir
	helloExe string // hello.exe inside gameDir
	helper   string // Linux helper inside gameDir
	stress   string // Linux stress program inside gameDir
	prefix   string
	runtime  string
	secret   string
}

func TestMain(m *testing.M) {
	// Tests that start a sandbox directly re-execute this binary as the
	// init stage.
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		os.Exit(sandbox.RunInit())
	}
	code := func() int {
		dir, err := os.MkdirTemp("", "winewarden-it-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		defer os.RemoveAll(testprog.Dir())
		if err := os.Chmod(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dnsServer, setupErr = startTestDNS()
		if setupErr == nil {
			world, setupErr = newEnv(dir)
		}
		return m.Run()
	}()
	os.Exit(code)
}

func newEnv(root string) (*env, error) {
	e := &env{root: root}
	e.binary()
	if binary == "" {
		return nil, fmt.Errorf("building winewarden failed")
	}
	e.home = filepath.Join(root, "home", "alice")
	e.gameDir = filepath.Join(root, "games", "probe")
	e.prefix = filepath.Join(root, "prefix")
	e.runtime = filepath.Join(root, "run")
	for _, d := range []string{e.home, e.gameDir, e.runtime, filepath.Join(root, "home", "bob")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	e.secret = fmt.Sprintf("REAL-SECRET-%d", time.Now().UnixNano())
	files := map[string]string{
		".ssh/id_rsa":                        e.secret + "\n",
		".bashrc":                            "# real bashrc\nexport PATH=$PATH\n",
		".config/autostart/existing.desktop": "[Desktop Entry]\nName=existing\n",
		".mozilla/firefox/real.default/cookies.sqlite": e.secret + "-cookies\n",
	}
	for rel, content := range files {
		p := filepath.Join(e.home, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			return nil, err
		}
	}
	os.WriteFile(filepath.Join(root, "home", "bob", "bob-private.txt"), []byte("bob"), 0o600)
	os.WriteFile(filepath.Join(e.gameDir, "data.txt"), []byte("GAME-DATA-42\n"), 0o644)

	config := filepath.Join(e.home, ".config", "winewarden", "config.toml")
	if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(config, []byte(testNetworkTable()), 0o600); err != nil {
		return nil, err
	}

	pe, err := testprog.BuildPE("probe")
	if err != nil {
		return nil, err
	}
	elf, err := testprog.BuildELF("helper")
	if err != nil {
		return nil, err
	}
	netprobe, err := testprog.BuildPE("netprobe")
	if err != nil {
		return nil, err
	}
	hello, err := testprog.BuildPE("hello")
	if err != nil {
		return nil, err
	}
	stress, err := testprog.BuildELF("stress")
	if err != nil {
		return nil, err
	}
	e.probeExe = filepath.Join(e.gameDir, "probe.exe")
	e.helloExe = filepath.Join(e.gameDir, "hello.exe")
	e.helper = filepath.Join(e.gameDir, "helper")
	e.stress = filepath.Join(e.gameDir, "stress")
	copies := map[string]string{
		e.probeExe: pe, e.helloExe: hello, e.helper: elf, e.stress: stress,
		filepath.Join(e.gameDir, "netprobe.exe"): netprobe,
		// Two names for the exec race: one allowed, one blocked by pattern.
		filepath.Join(e.gameDir, "allowed-tool"): stress,
		filepath.Join(e.gameDir, "blocked-tool"): stress,
	}
	for dst, src := range copies {
		if err := copyFile(src, dst); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *env) binary() {
	out := filepath.Join(e.root, "bin", "winewarden")
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(file))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/winewarden")
	cmd.Dir = repo
	if msg, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, msg)
		return
	}
	os.Chmod(filepath.Dir(out), 0o755)
	binary = out
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// strict turns skips into failures where CI demands every test run.
func strict() bool { return os.Getenv("WINEWARDEN_TEST_STRICT") == "1" }

func skipf(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if strict() {
		t.Fatalf("WINEWARDEN_TEST_STRICT=1 and the test cannot run: %s", msg)
	}
	t.Skip(msg)
}

// needSandbox skips (or fails in strict mode) unless the real thing can run.
func needSandbox(t *testing.T) *env {
	t.Helper()
	if setupErr != nil {
		skipf(t, "test environment: %v", setupErr)
	}
	if os.Getuid() == 0 {
		skipf(t, "integration tests run the sandbox as an unprivileged user, because root hides permission bugs: run them as an ordinary user (.ci/run does)")
	}
	if abi := sandbox.LandlockABI(); abi < 6 {
		skipf(t, "the kernel offers Landlock ABI %d; these tests need 6 or newer", abi)
	}
	return world
}

func needWine(t *testing.T) *env {
	t.Helper()
	e := needSandbox(t)
	if _, err := exec.LookPath("wine"); err != nil {
		skipf(t, "wine not found: install wine64 and wine")
	}
	return e
}

// result of one winewarden run.
type result struct {
	stdout, stderr string
	code           int
	events         []audit.Event
}

func (r result) has(kind, path string) bool {
	for _, ev := range r.events {
		if ev.Kind == kind && (path == "" || ev.Path == path) {
			return true
		}
	}
	return false
}

func (e *env) environ(extra ...string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + e.home,
		"USER=alice",
		"XDG_CONFIG_HOME=" + filepath.Join(e.home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(e.home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(e.home, ".local/state"),
		"XDG_RUNTIME_DIR=" + e.runtime,
		"WINEPREFIX=" + e.prefix,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=",
		"LANG=C.UTF-8",
	}
	return append(env, extra...)
}

// run starts winewarden with args and returns its output, exit status and
// the events of the session log it wrote.
func (e *env) run(t *testing.T, args []string, extraEnv ...string) result {
	t.Helper()
	return e.runInside(t, nil, args, extraEnv...)
}

// runInside runs winewarden with args as the last part of outer, a command
// that runs another, such as bwrap standing in for a Flatpak sandbox.
func (e *env) runInside(t *testing.T, outer []string, args []string, extraEnv ...string) result {
	t.Helper()
	sessions := filepath.Join(e.home, ".local/state/winewarden/sessions")
	if len(args) > 0 && args[0] == "run" && !slices.ContainsFunc(extraEnv, func(kv string) bool { return strings.HasPrefix(kv, "WINEPREFIX=") }) {
		e.resetTrust(t)
	}
	before := listDir(sessions)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	argv := append(append(slices.Clone(outer), binary), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = e.environ(extraEnv...)
	cmd.Dir = e.root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if err != nil && r.code < 0 {
		t.Fatalf("winewarden %v: %v\nstderr: %s", args, err, r.stderr)
	}
	for name := range listDir(sessions) {
		if !before[name] {
			events, err := audit.Read(filepath.Join(sessions, name))
			if err != nil {
				t.Fatalf("reading session log %s: %v", name, err)
			}
			r.events = append(r.events, events...)
		}
	}
	t.Logf("winewarden %s -> %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// resetTrust returns every game in the shared prefix to the default tier,
// so that a decoy read in one test does not run the next test in the red
// tier. It uses the harness's own config, whatever config the run is given.
// Tests of the trust engine name WINEPREFIX themselves to keep their state.
func (e *env) resetTrust(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(e.prefix, ".winewarden", "trust.json")); err != nil {
		return
	}
	cmd := exec.Command(binary, "trust", "reset", e.prefix)
	cmd.Env = e.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("winewarden trust reset %s: %v\n%s", e.prefix, err, out)
	}
}

// startSleepingProbe starts `winewarden run --game-id gameID -- wine
// probe.exe sleep 600000` in the background, with extraEnv added to the
// environment. The test's cleanup kills it if it still runs.
func (e *env) startSleepingProbe(t *testing.T, gameID string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, "run", "--game-id", gameID, "--game-dir", e.gameDir, "--", "wine", e.probeExe, "sleep", "600000")
	cmd.Env = e.environ(extraEnv...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// waitRunning waits until `winewarden status` lists a running session of
// gameID, which it does from just before the sandbox starts.
func (e *env) waitRunning(t *testing.T, gameID string) {
	t.Helper()
	if !waitFor(60*time.Second, func() bool {
		status := exec.Command(binary, "status")
		status.Env = e.environ()
		out, _ := status.Output()
		running, _, _ := strings.Cut(string(out), "Games:")
		return strings.Contains(running, gameID)
	}) {
		t.Fatalf("winewarden status never listed a running session of %s", gameID)
	}
}

// probe runs probe.exe under wine in the sandbox.
func (e *env) probe(t *testing.T, flags []string, args ...string) result {
	t.Helper()
	argv := append(append([]string{"run"}, flags...), "--", "wine", e.probeExe)
	return e.run(t, append(argv, args...))
}

// helperRun runs the Linux helper in the sandbox.
func (e *env) helperRun(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	argv := append([]string{"run", "--game-id", "helper", "--game-dir", e.gameDir, "--", e.helper}, args...)
	return e.run(t, argv, extraEnv...)
}

func listDir(dir string) map[string]bool {
	names := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names[e.Name()] = true
	}
	return names
}

// winPath turns a Linux path into its Z: drive form.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading %s: %v", p, err)
	}
	return string(data)
}
