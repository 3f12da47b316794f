package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/trust"
)

// Trust tests name the shared prefix in WINEPREFIX themselves, which keeps
// the harness from resetting the trust state between their runs. Each
// uses a game id of its own.

func (e *env) trustRun(t *testing.T, gameID string, extraEnv []string, args ...string) result {
	t.Helper()
	argv := append([]string{"run", "--game-id", gameID, "--game-dir", e.gameDir, "--", "wine"}, args...)
	return e.run(t, argv, append([]string{"WINEPREFIX=" + e.prefix}, extraEnv...)...)
}

// trustEvents returns the start and end trust events of a run.
func trustEvents(t *testing.T, r result) (start, end audit.Event) {
	t.Helper()
	for _, ev := range eventsOf(r, audit.KindTrust) {
		switch ev.Detail {
		case "tier for this run":
			start = ev
		case "trust updated":
			end = ev
		}
	}
	if start.Kind == "" || end.Kind == "" {
		t.Fatalf("the session log lacks the trust events (start %v, end %v)", start.Kind != "", end.Kind != "")
	}
	return start, end
}

func (e *env) cli(t *testing.T, extraEnv []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = e.environ(extraEnv...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("winewarden %v: %v", args, err)
		}
		code = exit.ExitCode()
	}
	t.Logf("winewarden %s -> %d\n%s", strings.Join(args, " "), code, out)
	return string(out), code
}

func trustFile(e *env) string { return filepath.Join(e.prefix, ".winewarden", "trust.json") }

// loadGame reads a game's state with the real key, as WineWarden does.
func (e *env) loadGame(t *testing.T, gameID string) *trust.GameState {
	t.Helper()
	key, err := trust.LoadKey(filepath.Join(e.home, ".local/share/winewarden"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := trust.OpenStore(filepath.Join(e.prefix, ".winewarden"), key, false)
	if err != nil {
		t.Fatal(err)
	}
	res := store.Load()
	if res.Status != trust.StatusOK {
		t.Fatalf("trust state %s: %s %v", store.Path(), res.Status, res.Err)
	}
	g := res.State.Games[gameID]
	if g == nil {
		t.Fatalf("trust state has no entry for %s", gameID)
	}
	return g
}

func TestCleanRunsPromote(t *testing.T) {
	e := needWine(t)
	env := withConfig(t, "[trust]\npromotion_after_runs = 3\n")
	for run := 1; run <= 3; run++ {
		r := e.trustRun(t, "trust-promote", env, e.helloExe)
		if r.code != 0 {
			t.Fatalf("run %d exited with %d", run, r.code)
		}
		start, end := trustEvents(t, r)
		if start.Fields["tier"] != "yellow" {
			t.Errorf("run %d started in tier %v, want yellow", run, start.Fields["tier"])
		}
		if end.Fields["clean"] != true {
			t.Fatalf("run %d was not clean: %v", run, end.Fields["changes"])
		}
	}
	g := e.loadGame(t, "trust-promote")
	if g.Tier != trust.Green || g.Score != 76 || len(g.History) != 3 {
		t.Fatalf("after three clean runs: tier %s score %d history %d, want green 76 3", g.Tier, g.Score, len(g.History))
	}
	r := e.trustRun(t, "trust-promote", env, e.helloExe)
	start, _ := trustEvents(t, r)
	profile, _ := start.Fields["profile"].(map[string]any)
	if start.Fields["tier"] != "green" || profile["allow_shell_execution"] != true || profile["max_child_processes"] != 200.0 {
		t.Errorf("fourth run: tier %v profile %v, want green with shells and 200 processes", start.Fields["tier"], profile)
	}
}

func TestDecoyReadDropsToRed(t *testing.T) {
	e := needWine(t)
	r := e.trustRun(t, "trust-decoy", nil, e.probeExe, "read", winPath(filepath.Join(e.home, ".ssh", "id_rsa")))
	if !r.has(audit.KindSensitiveAccess, "~/.ssh/id_rsa") {
		t.Fatal("no sensitive_access event for the decoy read")
	}
	_, end := trustEvents(t, r)
	if end.Fields["tier_after"] != "red" || end.Fields["score_after"] != 25.0 {
		t.Errorf("after a decoy read: tier %v score %v, want red 25", end.Fields["tier_after"], end.Fields["score_after"])
	}

	// The next run is offline: a connection to a listener on the host's
	// loopback fails and the listener accepts nothing.
	ln, accepted := listenAndWatch(t, "tcp4", "127.0.0.1:0")
	port := ln.Addr().String()[strings.LastIndex(ln.Addr().String(), ":")+1:]
	r = e.trustRun(t, "trust-decoy", nil, e.probeExe, "tcp", "127.0.0.1", port, "hello")
	start, _ := trustEvents(t, r)
	profile, _ := start.Fields["profile"].(map[string]any)
	if start.Fields["tier"] != "red" || profile["network_mode"] != "offline" || profile["filesystem"] != "strict" {
		t.Errorf("run after the decoy read: tier %v profile %v, want red, offline, strict", start.Fields["tier"], profile)
	}
	if mode := eventsOf(r, audit.KindSessionStart)[0].Fields["network_mode"]; mode != "offline" {
		t.Errorf("session network mode %v, want offline", mode)
	}
	if r.code == 0 || !strings.Contains(r.stdout, "FAIL") {
		t.Errorf("the red run reached the network:\n%s", r.stdout)
	}
	select {
	case <-accepted:
		t.Error("the listener accepted a connection from the red run")
	default:
	}

	// The strict filesystem: C:\windows is read-only, the saves are not.
	r = e.trustRun(t, "trust-decoy", nil, e.probeExe, "write", `C:\windows\system32\planted.dll`, "x")
	if r.code == 0 {
		t.Errorf("a red game wrote into C:\\windows:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(e.prefix, "drive_c/windows/system32/planted.dll")); err == nil {
		t.Error("planted.dll exists in the prefix")
	}
	r = e.trustRun(t, "trust-decoy", nil, e.probeExe, "save", "TrustRed", "progress")
	if r.code != 0 {
		t.Errorf("a red game could not save:\n%s", r.stdout)
	}
}

func TestTrustStateHiddenFromGame(t *testing.T) {
	e := needWine(t)
	r := e.trustRun(t, "trust-tamper", nil, e.probeExe, "exit", "0")
	if r.code != 0 {
		t.Fatalf("first run exited with %d", r.code)
	}
	file := trustFile(e)
	before := readFile(t, file)
	key := filepath.Join(e.home, ".local/share/winewarden", trust.KeyName)

	// Through Wine: the Z: drive and \\?\unix paths, write and read.
	for _, path := range []string{winPath(file), `\\?\unix` + file} {
		r := e.trustRun(t, "trust-tamper", nil, e.probeExe, "write", path, `{"forged":true}`)
		if r.code == 0 || !strings.Contains(r.stdout, "FAIL") {
			t.Errorf("write to %s succeeded:\n%s", path, r.stdout)
		}
		r = e.trustRun(t, "trust-tamper", nil, e.probeExe, "read", path, winPath(key))
		if strings.Contains(r.stdout, "hmac_sha256") || strings.Count(r.stdout, "FAIL") != 2 {
			t.Errorf("the game read its trust state or the key:\n%s", r.stdout)
		}
	}
	// Raw Linux calls from a program in the sandbox.
	dir := filepath.Dir(file)
	attempts := [][]string{
		{"touch", file},
		{"remove", file},
		{"rename", file, file + ".old"},
		{"rename", dir, dir + ".old"},
		{"remove", dir},
		{"symlink", "/tmp", file},
		{"touch", filepath.Join(dir, "new.json")},
		{"read", key},
	}
	for _, a := range attempts {
		r := e.run(t, append([]string{"run", "--game-id", "trust-tamper-elf", "--game-dir", e.gameDir, "--", e.helper}, a...), "WINEPREFIX="+e.prefix)
		if r.code == 0 || !strings.Contains(r.stdout, "FAIL") {
			t.Errorf("helper %v succeeded:\n%s", a, r.stdout)
		}
	}

	// Only the runs themselves changed the file, and it still verifies.
	after := readFile(t, file)
	if strings.Contains(after, "forged") || after == before {
		t.Errorf("the state file was not rewritten by WineWarden alone")
	}
	if g := e.loadGame(t, "trust-tamper"); len(g.History) != 5 {
		t.Errorf("history has %d entries, want 5 (one per run)", len(g.History))
	}
}

// forgeState edits the state file as a program outside the sandbox could,
// and fails the test when old is not in it.
func forgeState(t *testing.T, e *env, old, new string) {
	t.Helper()
	file := trustFile(e)
	data := readFile(t, file)
	forged := strings.Replace(data, old, new, 1)
	if forged == data {
		t.Fatalf("%q not in the state file:\n%s", old, data)
	}
	if err := os.WriteFile(file, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestForgedStateGivesDefaultTier(t *testing.T) {
	e := needWine(t)
	// A green default makes the point: a forged state must not get it.
	env := withConfig(t, "[trust]\ndefault_tier = \"green\"\n")
	e.trustRun(t, "trust-forged", env, e.helloExe)
	forgeState(t, e, `"score": 76`, `"score": 100`)

	r := e.trustRun(t, "trust-forged", env, e.helloExe)
	start, end := trustEvents(t, r)
	if start.Fields["state"] != "invalid" || !strings.Contains(start.Fields["state_detail"].(string), "authenticity") {
		t.Errorf("forged state reported as %v (%v)", start.Fields["state"], start.Fields["state_detail"])
	}
	if start.Fields["tier"] != "yellow" {
		t.Errorf("forged state ran in tier %v, want yellow (the green default capped)", start.Fields["tier"])
	}
	if end.Fields["write_error"] != nil {
		t.Errorf("state not rewritten: %v", end.Fields["write_error"])
	}
	kept, _ := filepath.Glob(trustFile(e) + ".invalid-*")
	if len(kept) == 0 {
		t.Error("the forged file was not kept for inspection")
	}
	for _, k := range kept {
		os.Remove(k)
	}
	if g := e.loadGame(t, "trust-forged"); g.Override != nil || g.History[0].Kind != trust.EntryInvalid {
		t.Errorf("new state: override %v, first entry %q", g.Override, g.History[0].Kind)
	}

	// A red game whose file is forged to green stays red: the tier that
	// the last write recorded outside the prefix caps the run.
	if _, code := e.cli(t, env, "trust", "set", "trust-forged", "red"); code != 0 {
		t.Fatal("trust set failed")
	}
	forgeState(t, e, `"override": "red"`, `"override": "green"`)
	r = e.trustRun(t, "trust-forged", env, e.helloExe)
	start, _ = trustEvents(t, r)
	if start.Fields["state"] != "invalid" || start.Fields["tier"] != "red" {
		t.Errorf("red game with a forged green state: state %v tier %v, want invalid red", start.Fields["state"], start.Fields["tier"])
	}
	kept, _ = filepath.Glob(trustFile(e) + ".invalid-*")
	for _, k := range kept {
		os.Remove(k)
	}
}

func TestExeChangeDropsTier(t *testing.T) {
	e := needWine(t)
	env := withConfig(t, "[trust]\ndefault_tier = \"green\"\n")
	e.trustRun(t, "trust-update", env, e.helloExe)
	if g := e.loadGame(t, "trust-update"); g.Tier != trust.Green {
		t.Fatalf("new game under a green default: %s", g.Tier)
	}
	// The same game id with other content, as after an update.
	updated := filepath.Join(e.gameDir, "hello-v2.exe")
	data, err := os.ReadFile(e.helloExe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(updated, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(updated)
	r := e.trustRun(t, "trust-update", env, updated)
	start, _ := trustEvents(t, r)
	if start.Fields["exe_changed"] != true || start.Fields["tier"] != "yellow" {
		t.Errorf("updated .exe: exe_changed %v tier %v, want true yellow", start.Fields["exe_changed"], start.Fields["tier"])
	}
	g := e.loadGame(t, "trust-update")
	kinds := []string{}
	for _, h := range g.History {
		kinds = append(kinds, h.Kind)
	}
	if strings.Join(kinds, ",") != "session,exe_changed,session" {
		t.Errorf("history %v, want session,exe_changed,session", kinds)
	}
}

func TestTrustCommands(t *testing.T) {
	e := needWine(t)
	r := e.trustRun(t, "trust-cli", nil, e.probeExe, "read", winPath(filepath.Join(e.home, ".ssh", "id_ed25519")))
	if r.code != 0 {
		t.Fatalf("probe exited with %d", r.code)
	}
	out, code := e.cli(t, nil, "trust", "list")
	if code != 0 || !strings.Contains(out, "trust-cli") || !strings.Contains(out, "red") {
		t.Errorf("trust list:\n%s", out)
	}
	out, code = e.cli(t, nil, "trust", "show", "trust-cl")
	for _, want := range []string{"Tier:      red, score 25", "authentic", "1 sensitive-access attempt: ~/.ssh/id_ed25519", "dropped from yellow to red"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("trust show lacks %q:\n%s", want, out)
		}
	}
	if out, code = e.cli(t, nil, "trust", "set", "trust-cli", "green"); code != 0 {
		t.Fatalf("trust set: %s", out)
	}
	if g := e.loadGame(t, "trust-cli"); g.Effective() != trust.Green || g.Score != 25 {
		t.Errorf("after set green: %s score %d", g.Effective(), g.Score)
	}
	if out, code = e.cli(t, nil, "trust", "set", "trust-cli", "blue"); code == 0 || !strings.Contains(out, "red, yellow or green") {
		t.Errorf("trust set blue: %d %s", code, out)
	}
	if out, code = e.cli(t, nil, "trust", "show", "no-such-game"); code == 0 || !strings.Contains(out, "trust list") {
		t.Errorf("unknown game: %d %s", code, out)
	}
	if _, code = e.cli(t, nil, "trust", "reset", "trust-cli"); code != 0 {
		t.Fatal("trust reset failed")
	}
	if g := e.loadGame(t, "trust-cli"); g.Effective() != trust.Yellow || g.Score != 50 || g.Override != nil {
		t.Errorf("after reset: %s score %d", g.Effective(), g.Score)
	}

	out, code = e.cli(t, nil, "status")
	if code != 0 || !strings.Contains(out, "Running sessions:") || !strings.Contains(out, "trust-cli") {
		t.Errorf("status:\n%s", out)
	}
}

func TestReportOfLastSession(t *testing.T) {
	e := needWine(t)
	e.trustRun(t, "trust-report", nil, e.probeExe, "read", winPath(filepath.Join(e.home, ".ssh", "id_rsa")))
	out, code := e.cli(t, nil, "report", "--last")
	for _, want := range []string{"~/.ssh/id_rsa", "red"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, e.home) || strings.Contains(out, winPath(e.home)) {
		t.Errorf("report shows the home path %s without --no-redact", e.home)
	}
	out, code = e.cli(t, nil, "report", "--last", "--json")
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("report --json is not JSON:\n%s", out)
	}
	if strings.Contains(out, e.home) || strings.Contains(out, strings.ReplaceAll(winPath(e.home), `\`, `\\`)) {
		t.Errorf("JSON report shows the home path")
	}
	out, _ = e.cli(t, nil, "report", "--last", "--no-redact")
	if !strings.Contains(out, winPath(e.home)) {
		t.Errorf("--no-redact hides the home path:\n%s", out)
	}
	if out, code = e.cli(t, nil, "report", "20000101T000000Z-00000000"); code == 0 || !strings.Contains(out, "20000101T000000Z-00000000") {
		t.Errorf("unknown session: %d %s", code, out)
	}
}

func TestStatusListsRunningSession(t *testing.T) {
	e := needWine(t)
	cmd := e.startSleepingProbe(t, "trust-status")
	var out string
	listed := waitFor(60*time.Second, func() bool {
		out, _ = e.cli(t, nil, "status")
		return strings.Contains(out, "trust-status")
	})
	if !listed || strings.Contains(strings.SplitN(out, "Games:", 2)[0], "none") {
		t.Fatalf("status does not list the running session:\n%s", out)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	out, _ = e.cli(t, nil, "status")
	if running := strings.SplitN(out, "Games:", 2)[0]; strings.Contains(running, "trust-status") {
		t.Errorf("status lists the session after it ended:\n%s", out)
	}
}

func TestOfflineAttemptsAreNotClean(t *testing.T) {
	e := needWine(t)
	netprobe := filepath.Join(e.gameDir, "netprobe.exe")
	e.trustRun(t, "trust-offline", nil, netprobe, "resolve", "game.test")
	if _, code := e.cli(t, nil, "trust", "set", "trust-offline", "red"); code != 0 {
		t.Fatal("trust set failed")
	}
	r := e.trustRun(t, "trust-offline", nil, netprobe, "resolve", "game.test")
	start, end := trustEvents(t, r)
	if start.Fields["tier"] != "red" || r.code == 0 {
		t.Fatalf("red run: tier %v, exit %d (the lookup must fail offline)", start.Fields["tier"], r.code)
	}
	if end.Fields["clean"] != false {
		t.Errorf("a red run whose DNS lookups were refused counted as clean: %v", end.Fields["changes"])
	}
}

func TestStateHiddenInSteamLayout(t *testing.T) {
	e := needSandbox(t)
	// Steam keeps the state beside the prefix, in compatdata/<appid>, and
	// here the game's directory is that compatdata directory.
	compat := filepath.Join(e.root, "steamapps", "compatdata", "4242")
	if err := os.MkdirAll(filepath.Join(compat, "pfx"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(e.helper, filepath.Join(compat, "helper")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(compat, "helper"), 0o755)
	env := "WINEPREFIX=" + filepath.Join(compat, "pfx")
	state := filepath.Join(compat, ".winewarden", "trust.json")
	run := func(args ...string) result {
		return e.run(t, append([]string{"run", "--game-id", "steam-4242", "--game-dir", compat, "--", filepath.Join(compat, "helper")}, args...), env)
	}
	if r := run("exit", "0"); r.code != 0 {
		t.Fatalf("first run exited with %d", r.code)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no trust state beside the prefix: %v", err)
	}
	for _, args := range [][]string{{"read", state}, {"touch", state}, {"remove", state}} {
		if r := run(args...); r.code == 0 || !strings.Contains(r.stdout, "FAIL") {
			t.Errorf("helper %v reached the state beside the prefix:\n%s", args, r.stdout)
		}
	}
}

func TestOlderStateCopyIsCapped(t *testing.T) {
	e := needWine(t)
	e.trustRun(t, "trust-rollback", nil, e.helloExe)
	old := readFile(t, trustFile(e))
	if _, code := e.cli(t, nil, "trust", "set", "trust-rollback", "red"); code != 0 {
		t.Fatal("trust set failed")
	}
	e.trustRun(t, "trust-rollback", nil, e.helloExe)
	// Put back the copy from before the tier went down.
	if err := os.WriteFile(trustFile(e), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.trustRun(t, "trust-rollback", nil, e.helloExe)
	start, _ := trustEvents(t, r)
	if start.Fields["tier"] != "red" || start.Fields["state"] != "invalid" {
		t.Errorf("an older copy of the state ran in tier %v (state %v, %v), want red and invalid",
			start.Fields["tier"], start.Fields["state"], start.Fields["state_detail"])
	}
	kept, _ := filepath.Glob(trustFile(e) + ".invalid-*")
	for _, k := range kept {
		os.Remove(k)
	}
}

func TestBrokenKeyKeepsRedTier(t *testing.T) {
	e := needWine(t)
	key := filepath.Join(e.home, ".local/share/winewarden", trust.KeyName)
	e.trustRun(t, "trust-nokey", nil, e.helloExe)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(key, 0o600)
	r := e.trustRun(t, "trust-nokey", nil, e.probeExe, "read", winPath(filepath.Join(e.home, ".ssh", "id_rsa")))
	start, end := trustEvents(t, r)
	if start.Fields["state"] != "unverifiable" || end.Fields["write_error"] == nil || end.Fields["tier_after"] != "red" {
		t.Errorf("with a readable key: state %v, write_error %v, tier after %v", start.Fields["state"], end.Fields["write_error"], end.Fields["tier_after"])
	}
	os.Chmod(key, 0o600)
	r = e.trustRun(t, "trust-nokey", nil, e.probeExe, "exit", "0")
	start, _ = trustEvents(t, r)
	if start.Fields["tier"] != "red" {
		t.Errorf("after the key was fixed the game runs in tier %v, want the red that its decoy read earned", start.Fields["tier"])
	}
}

func TestTrustSetDuringSessionKept(t *testing.T) {
	e := needWine(t)
	e.trustRun(t, "trust-midset", nil, e.probeExe, "exit", "0")
	cmd := e.startSleepingProbe(t, "trust-midset", "WINEPREFIX="+e.prefix)
	if !waitFor(60*time.Second, func() bool { return len(hostProcesses("sleep-child")) > 0 }) {
		t.Fatal("the probe's child process never started")
	}
	if _, code := e.cli(t, nil, "trust", "set", "trust-midset", "green"); code != 0 {
		t.Fatal("trust set failed")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if g := e.loadGame(t, "trust-midset"); g.Effective() != trust.Green {
		t.Errorf("the session's end undid the tier set while it ran: %s (history %+v)", g.Effective(), g.History[len(g.History)-1])
	}
}
