package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winewarden/winewarden/audit"
)

// passThrough is a stand-in for Steam's launch wrapper, reaper and the
// runtime's entry point: it drops its own arguments up to "--" and runs
// the rest, writing its name to a trace file first.
const passThrough = `#!/bin/sh
echo "$(basename "$0") pid $$" >> "$WW_TRACE"
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
exec "$@"
`

// standInProton does what Proton does with the prefix: it runs the game
// with real Wine in $STEAM_COMPAT_DATA_PATH/pfx, after its verb.
const standInProton = `#!/bin/sh
verb="$1"
shift
case "$verb" in
run|waitforexitandrun) ;;
getcompatpath|getnativepath) echo "$verb $1"; exit 0 ;;
*) echo "proton: unknown verb $verb" >&2; exit 1 ;;
esac
export WINEPREFIX="$STEAM_COMPAT_DATA_PATH/pfx"
mkdir -p "$WINEPREFIX"
echo "stand-in $verb" > "$STEAM_COMPAT_DATA_PATH/version"
exec wine "$@"
`

func TestSteamLaunchOptionChain(t *testing.T) {
	e := needWine(t)
	steam := filepath.Join(t.TempDir(), "Steam Root")
	for _, p := range []string{"ubuntu12_32/steam-launch-wrapper", "ubuntu12_32/reaper", "steamapps/common/SteamLinuxRuntime_sniper/_v2-entry-point"} {
		writeExecutable(t, filepath.Join(steam, p), passThrough)
	}
	proton := filepath.Join(steam, "steamapps/common/Proton 9.0 (Beta)/proton")
	writeExecutable(t, proton, standInProton)
	compat := filepath.Join(steam, "steamapps/compatdata/4242")
	trace := filepath.Join(t.TempDir(), "trace")

	// The command line a current Steam client expands %command% to.
	r := e.run(t, []string{"run", "--",
		filepath.Join(steam, "ubuntu12_32/steam-launch-wrapper"), "--",
		filepath.Join(steam, "ubuntu12_32/reaper"), "SteamLaunch", "AppId=4242", "--",
		filepath.Join(steam, "steamapps/common/SteamLinuxRuntime_sniper/_v2-entry-point"), "--verb=waitforexitandrun", "--",
		proton, "waitforexitandrun", e.probeExe, "printenv", "SteamAppId"},
		"SteamAppId=4242", "SteamGameId=4242", "STEAM_COMPAT_APP_ID=4242", "STEAM_COMPAT_DATA_PATH="+compat,
		"STEAM_COMPAT_CLIENT_INSTALL_PATH="+steam, "WW_TRACE="+trace)
	if r.code != 0 {
		t.Fatalf("exit status %d", r.code)
	}
	if !strings.Contains(r.stdout, "4242") {
		t.Errorf("the game did not see SteamAppId: %q", r.stdout)
	}
	// The wrappers ran outside the sandbox, once each, in Steam's order.
	if got := readFile(t, trace); !strings.Contains(got, "steam-launch-wrapper") || strings.Index(got, "reaper") < strings.Index(got, "steam-launch-wrapper") ||
		!strings.Contains(got, "_v2-entry-point") || strings.Count(got, "\n") != 3 {
		t.Errorf("wrapper trace:\n%s", got)
	}
	var start *audit.Event
	for i, ev := range r.events {
		if ev.Kind == audit.KindSessionStart {
			start = &r.events[i]
		}
	}
	if start == nil {
		t.Fatal("no session_start event")
	}
	if id := audit.FieldString(start.Fields, "game_id"); id != "steam-4242" {
		t.Errorf("game id %q, want steam-4242", id)
	}
	// Proton's prefix and files, and the trust state, are in compatdata.
	for _, p := range []string{"pfx/system.reg", "version", ".winewarden/trust.json"} {
		if _, err := os.Stat(filepath.Join(compat, p)); err != nil {
			t.Errorf("compatdata: %v", err)
		}
	}
	if !strings.Contains(r.stderr, "game started by a launcher") || !strings.Contains(r.stderr, "launcher=steam") {
		t.Errorf("the session did not log its launcher:\n%s", r.stderr)
	}
	// The session log warns that the Steam client is hidden from the game.
	warned := false
	for _, ev := range r.events {
		warned = warned || ev.Kind == audit.KindWarning && ev.Rule == "steam_client" && strings.Contains(ev.Detail, "Steam client")
	}
	if !warned {
		t.Error("the session log has no warning about the hidden Steam client")
	}
}

func TestSteamGamePolicyFile(t *testing.T) {
	e := needWine(t)
	steam := filepath.Join(t.TempDir(), "Steam")
	proton := filepath.Join(steam, "steamapps/common/Proton 8.0/proton")
	writeExecutable(t, proton, standInProton)
	compat := filepath.Join(steam, "steamapps/compatdata/777")
	e.gamePolicy(t, "steam-777", "[network]\nmode = \"offline\"\n")

	r := e.run(t, []string{"run", "--", proton, "run", e.probeExe, "exit", "0"},
		"SteamAppId=777", "STEAM_COMPAT_DATA_PATH="+compat)
	if r.code != 0 {
		t.Fatalf("exit status %d", r.code)
	}
	if !strings.Contains(r.stderr, "game policy file applied") || !strings.Contains(r.stderr, "network=offline") {
		t.Errorf("the game's policy file was not applied:\n%s", r.stderr)
	}
}

// gamePolicy writes the game's own policy file for the rest of the test.
func (e *env) gamePolicy(t *testing.T, gameID, text string) {
	t.Helper()
	games := filepath.Join(e.home, ".config/winewarden/games")
	if err := os.MkdirAll(games, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(games, gameID+".toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

func writeExecutable(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSteamCompatibilityTool(t *testing.T) {
	e := needWine(t)
	steam := filepath.Join(t.TempDir(), "Steam")
	writeExecutable(t, filepath.Join(steam, "steamapps/common/Proton 9.0/proton"), standInProton)
	compat := filepath.Join(steam, "steamapps/compatdata/31337")
	steamEnv := []string{"SteamAppId=31337", "STEAM_COMPAT_APP_ID=31337", "STEAM_COMPAT_DATA_PATH=" + compat,
		"STEAM_COMPAT_CLIENT_INSTALL_PATH=" + steam}

	// Without a chosen Proton the tool explains how to choose one.
	r := e.run(t, []string{"compat", "waitforexitandrun", "--", e.probeExe, "exit", "0"}, steamEnv...)
	if r.code == 0 || !strings.Contains(r.stderr, "winewarden steam proton 31337") {
		t.Fatalf("without a Proton: exit %d\n%s", r.code, r.stderr)
	}

	choose := e.run(t, []string{"steam", "proton", "31337", "Proton 9.0"})
	if choose.code != 0 {
		t.Fatalf("steam proton: exit %d\n%s", choose.code, choose.stderr)
	}
	policyFile := filepath.Join(e.home, ".config/winewarden/games/steam-31337.toml")
	t.Cleanup(func() { os.Remove(policyFile) })
	if got := readFile(t, policyFile); !strings.Contains(got, "[steam]\nproton = \"Proton 9.0\"") {
		t.Errorf("game policy file:\n%s", got)
	}

	// Steam's call of the tool, as toolmanifest.vdf's command line makes it.
	r = e.run(t, []string{"compat", "waitforexitandrun", "--", e.probeExe, "printenv", "SteamAppId"}, steamEnv...)
	if r.code != 0 || !strings.Contains(r.stdout, "31337") {
		t.Fatalf("compat run: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	if got := readFile(t, filepath.Join(compat, "version")); got != "stand-in waitforexitandrun\n" {
		t.Errorf("proton ran with %q", got)
	}
	for _, ev := range r.events {
		if ev.Kind == audit.KindSessionStart && audit.FieldString(ev.Fields, "game_id") != "steam-31337" {
			t.Errorf("game id %q, want steam-31337", audit.FieldString(ev.Fields, "game_id"))
		}
	}

	// Path conversions run in the sandbox too, but are no game sessions:
	// they leave the score and the streak of clean sessions alone.
	before := e.run(t, []string{"trust", "show", "steam-31337"}).stdout
	for range 3 {
		r = e.run(t, []string{"compat", "getcompatpath", "--", "/tmp/x"}, steamEnv...)
		if r.code != 0 || !strings.Contains(r.stdout, "getcompatpath /tmp/x") {
			t.Fatalf("getcompatpath: exit %d, stdout %q", r.code, r.stdout)
		}
	}
	if after := e.run(t, []string{"trust", "show", "steam-31337"}).stdout; after != before {
		t.Errorf("path conversions changed the trust state:\n%s\nwas:\n%s", after, before)
	}
}

func TestProtonInSacredZoneRefused(t *testing.T) {
	e := needWine(t)
	proton := filepath.Join(e.home, ".ssh", "proton-build", "proton")
	writeExecutable(t, proton, standInProton)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(proton)) })
	r := e.run(t, []string{"run", "--", proton, "run", e.probeExe, "exit", "0"},
		"SteamAppId=999", "STEAM_COMPAT_DATA_PATH="+filepath.Join(t.TempDir(), "compatdata/999"))
	if r.code != 125 || !strings.Contains(r.stderr, "sacred zone") || !strings.Contains(r.stderr, "Proton build in a folder of its own") {
		t.Errorf("a Proton inside ~/.ssh: exit %d\n%s", r.code, r.stderr)
	}
	if r.has(audit.KindProcess, "") {
		t.Error("something ran in the sandbox")
	}
}
