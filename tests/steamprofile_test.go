package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// clientProton is a stand-in Proton that looks for the Steam client the
// way the Steam API does (its pid file, its process, its shared memory and
// its libraries) and reports what it could reach, before it runs the game.
// The sandbox passes no test variables, so the client's pid, shared memory
// name and System V key are written into the script.
const clientProton = `#!/bin/sh
verb="$1"
shift
echo "pidfile=$(cat "$HOME/.steam/steam.pid")"
echo "comm=$(cat /proc/%[1]d/comm)"
if cat /proc/%[1]d/cmdline >/dev/null 2>&1; then echo cmdline=read; else echo cmdline=denied; fi
if kill -0 %[1]d 2>/dev/null; then echo signal=allowed; else echo signal=denied; fi
if cat /proc/%[1]d/environ >/dev/null 2>&1; then echo environ=read; else echo environ=denied; fi
if ls -l /proc/%[1]d/root/ >/dev/null 2>&1; then echo root=read; else echo root=denied; fi
if unshare -U true 2>/dev/null; then echo userns=allowed; else echo userns=denied; fi
echo "shm=$(cat /dev/shm/%[2]s)"
if ipcs -m | grep -q %[3]s; then echo sysv=shared; else echo sysv=hidden; fi
echo "sdk64=$(cat "$HOME/.steam/sdk64/steamclient.so")"
echo "legacy=$(cat "$STEAM_COMPAT_CLIENT_INSTALL_PATH/legacycompat/steamclient.dll")"
echo "login=$(cat "$STEAM_COMPAT_CLIENT_INSTALL_PATH/config/loginusers.vdf" | head -c 40)"
export WINEPREFIX="$STEAM_COMPAT_DATA_PATH/pfx"
mkdir -p "$WINEPREFIX"
exec wine "$@"
`

// initKiller is a stand-in Proton that leaves a process behind and kills
// the sandbox's init stage, which the game can do when it shares the host's
// pid namespace.
const initKiller = `#!/bin/sh
sleep 297 &
echo $! > "$STEAM_COMPAT_DATA_PATH/leftover"
kill -KILL $PPID
sleep 298
`

// fakeSteamClient lays out the parts of a Steam installation that the Steam
// API reads under the harness's home and starts a process named steam as
// the client. It returns the Steam root and the client's pid.
func fakeSteamClient(t *testing.T, e *env) (string, int) {
	t.Helper()
	root := filepath.Join(e.home, ".local/share/Steam")
	dotSteam := filepath.Join(e.home, ".steam")
	t.Cleanup(func() { os.RemoveAll(root); os.RemoveAll(dotSteam) })
	for rel, text := range map[string]string{
		"linux64/steamclient.so":       "client library",
		"legacycompat/steamclient.dll": "client dll",
		"config/loginusers.vdf":        "\"users\" { }",
	} {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dotSteam, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "linux64"), filepath.Join(dotSteam, "sdk64")); err != nil {
		t.Fatal(err)
	}

	// A copy of sleep is a process whose name is steam.
	client := filepath.Join(root, "ubuntu12_32", "steam")
	if err := os.MkdirAll(filepath.Dir(client), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(client, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(client, "600")
	cmd.Env = []string{"STEAM_SECRET=client-environment"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(dotSteam, "steam.pid"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, pid
}

func TestSteamProfileShowsClient(t *testing.T) {
	e := needWine(t)
	root, clientPID := fakeSteamClient(t, e)
	compat := filepath.Join(root, "steamapps/compatdata/4343")

	shm := fmt.Sprintf("ValveIPCSHM_test%d", os.Getpid())
	if err := os.WriteFile("/dev/shm/"+shm, []byte("client memory"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove("/dev/shm/" + shm) })
	out, err := exec.Command("ipcmk", "-M", "4096").CombinedOutput()
	if err != nil {
		t.Fatalf("ipcmk: %v: %s", err, out)
	}
	fields := strings.Fields(string(out))
	sysv := fields[len(fields)-1]
	t.Cleanup(func() { exec.Command("ipcrm", "-m", sysv).Run() })
	proton := filepath.Join(t.TempDir(), "Proton 9.0", "proton")
	writeExecutable(t, proton, fmt.Sprintf(clientProton, clientPID, shm, sysv))

	steamEnv := []string{"SteamAppId=4343", "STEAM_COMPAT_DATA_PATH=" + compat, "STEAM_COMPAT_CLIENT_INSTALL_PATH=" + root}
	r := e.run(t, []string{"run", "--", proton, "waitforexitandrun", e.probeExe, "exit", "0"}, steamEnv...)
	if r.code != 0 {
		t.Fatalf("exit status %d", r.code)
	}
	// The client is in view: its pid file, process and command line, its
	// shared memory, its System V IPC and its libraries. Landlock keeps
	// signals, its environment and its root out of reach, and Steam's
	// login file is the virtual home's decoy. Nested user namespaces, which
	// the Steam Linux Runtime's tools use, can still be made.
	for _, want := range []string{"pidfile=" + strconv.Itoa(clientPID) + "\n", "comm=steam\n", "cmdline=read", "signal=denied", "environ=denied",
		"root=denied", "userns=allowed", "shm=client memory", "sysv=shared", "sdk64=client library", "legacy=client dll"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the game's view lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "REAL-LOGIN-FILE") {
		t.Errorf("the game read Steam's real login file:\n%s", r.stdout)
	}
	var layers, warning string
	for _, ev := range r.events {
		if ev.Kind == audit.KindWarning && ev.Rule == "steam_client" {
			warning = ev.Detail
		}
		if ev.Kind == audit.KindLayer && ev.Layer == "namespaces" {
			layers = ev.Detail
		}
	}
	if !strings.Contains(warning, "Steam profile") || !strings.Contains(warning, "signal scoping") {
		t.Errorf("the session log does not say what the Steam profile gives up: %q", warning)
	}
	if !strings.Contains(layers, "pid and ipc shared with the host") {
		t.Errorf("the layers do not show the shared namespaces: %s", layers)
	}
	if err := exec.Command("kill", "-0", strconv.Itoa(clientPID)).Run(); err != nil {
		t.Errorf("the Steam client did not survive the session: %v", err)
	}

	// With steam.show_client = false the game gets its own pid and IPC
	// namespaces again.
	e.gamePolicy(t, "steam-4343", "[steam]\nshow_client = false\n")
	r = e.run(t, []string{"run", "--", proton, "waitforexitandrun", e.probeExe, "exit", "0"}, steamEnv...)
	for _, want := range []string{"pidfile=\n", "comm=\n", "shm=\n", "sysv=hidden", "sdk64=\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("with show_client = false the game still sees the client (%q missing):\n%s", want, r.stdout)
		}
	}
}

func TestSteamProfileSweepsAfterInitDies(t *testing.T) {
	e := needWine(t)
	root, clientPID := fakeSteamClient(t, e)
	proton := filepath.Join(t.TempDir(), "Proton 9.0", "proton")
	writeExecutable(t, proton, initKiller)
	compat := filepath.Join(root, "steamapps/compatdata/4344")
	if err := os.MkdirAll(compat, 0o755); err != nil {
		t.Fatal(err)
	}

	done := make(chan result, 1)
	go func() {
		done <- e.run(t, []string{"run", "--", proton, "waitforexitandrun", e.probeExe, "exit", "0"},
			"SteamAppId=4344", "STEAM_COMPAT_DATA_PATH="+compat)
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the session did not end after its init stage was killed")
	}
	if r.code == 0 {
		t.Errorf("a session whose init stage was killed exited 0")
	}
	swept := false
	for _, ev := range r.events {
		swept = swept || ev.Kind == audit.KindWarning && ev.Rule == "sandbox_sweep"
	}
	if !swept {
		t.Error("the session log does not say that processes were killed after the init stage")
	}
	data, err := os.ReadFile(filepath.Join(compat, "leftover"))
	if err != nil {
		t.Fatalf("the stand-in did not record its leftover process: %v", err)
	}
	pid := strings.TrimSpace(string(data))
	if stat, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("process %s outlived the session: %s", pid, stat)
	}
	if err := exec.Command("kill", "-0", strconv.Itoa(clientPID)).Run(); err != nil {
		t.Errorf("the Steam client did not survive the session: %v", err)
	}
}
