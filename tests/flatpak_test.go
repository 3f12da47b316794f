package tests

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winewarden/winewarden/audit"
)

// flatpakOuter returns the bwrap command line that simulates a launcher's
// Flatpak sandbox: a new user and pid namespace in which no
// further user namespace may be made, the host's /usr and /etc, the test's
// directories, and the /.flatpak-info file by which Flatpak's sandboxes
// are known.
func flatpakOuter(t *testing.T, e *env) []string {
	t.Helper()
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		skipf(t, "bwrap not found: install bubblewrap")
	}
	info := filepath.Join(t.TempDir(), "flatpak-info")
	if err := os.WriteFile(info, []byte("[Application]\nname=net.lutris.Lutris\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outer := []string{bwrap, "--unshare-user", "--unshare-pid", "--disable-userns", "--die-with-parent",
		"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev",
		"--bind", "/tmp", "/tmp", "--bind", e.root, e.root, "--ro-bind", info, "/.flatpak-info"}
	for _, link := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64"} {
		if target, err := os.Readlink(link); err == nil {
			outer = append(outer, "--symlink", target, link)
		} else if _, err := os.Stat(link); err == nil {
			outer = append(outer, "--ro-bind", link, link)
		}
	}
	return append(outer, "--")
}

// layerEvents maps each protection layer of a session to whether it was in
// force.
func layerEvents(r result) map[string]bool {
	layers := map[string]bool{}
	for _, ev := range r.events {
		if ev.Kind == audit.KindLayer && ev.InForce != nil {
			layers[ev.Layer] = *ev.InForce
		}
	}
	return layers
}

func TestFlatpakProfile(t *testing.T) {
	e := needWine(t)
	outer := flatpakOuter(t, e)

	// A socket outside the allowlist, as the session bus would be.
	bus := filepath.Join(e.runtime, "flatpak-bus")
	ln, err := net.Listen("unix", bus)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	helper := func(args ...string) result {
		argv := append([]string{"run", "--game-id", "flatpak-helper", "--game-dir", e.gameDir, "--", e.helper}, args...)
		return e.runInside(t, outer, argv)
	}
	// Landlock alone keeps the real home's secrets and /tmp out of reach.
	if r := helper("read", filepath.Join(e.home, ".ssh/id_rsa")); r.code == 0 || strings.Contains(r.stdout, e.secret) {
		t.Errorf("the game read the real SSH key (exit %d): %s", r.code, r.stdout)
	}
	if r := helper("touch", "/tmp/flatpak-profile-marker"); r.code == 0 {
		os.Remove("/tmp/flatpak-profile-marker")
		t.Errorf("the game wrote to /tmp outside Wine's server directory")
	}
	// The supervisor refuses a Unix socket outside the allowlist.
	r := helper("connect-unix", bus)
	if r.code == 0 {
		t.Errorf("the game reached a Unix socket outside the allowlist:\n%s", r.stdout)
	}
	refused := false
	for _, ev := range r.events {
		refused = refused || ev.Rule == "unix_socket" && ev.Decision == audit.DecisionDeny
	}
	if !refused {
		t.Error("no unix_socket denial in the session log")
	}
	layers := layerEvents(r)
	if layers["namespaces"] || layers["mount_view"] || !layers["landlock"] || !layers["seccomp"] || !layers["supervisor"] {
		t.Errorf("layers of the Flatpak profile: %v", layers)
	}
	warned := false
	for _, ev := range r.events {
		warned = warned || ev.Kind == audit.KindWarning && ev.Rule == "flatpak_profile" && strings.Contains(ev.Detail, "degraded")
	}
	if !warned {
		t.Error("the session log does not name the degraded Flatpak profile")
	}

	// $HOME is the virtual home.
	r = e.runInside(t, outer, []string{"run", "--game-id", "flatpak-sh", "--", "sh", "-c", "echo HOME=$HOME"})
	if want := "HOME=" + filepath.Join(e.home, ".local/share/winewarden/virtual/flatpak-sh/home") + "\n"; r.stdout != want {
		t.Errorf("HOME in the Flatpak profile: %q, want %q", r.stdout, want)
	}

	// Real Wine creates a prefix and runs a game: its wineserver socket in
	// this prefix's server directory is on the allowlist, and a save in
	// Documents lands in the virtual home, through the links Wine made
	// from $HOME.
	prefix := filepath.Join(t.TempDir(), "prefix")
	r = e.runInside(t, outer, []string{"run", "--game-id", "flatpak-wine", "--game-dir", e.gameDir, "--", "wine", e.probeExe, "save", "flatpak", "saved"},
		"WINEPREFIX="+prefix)
	if r.code != 0 {
		t.Fatalf("wine in the Flatpak profile: exit %d", r.code)
	}
	save := filepath.Join(e.home, ".local/share/winewarden/virtual/flatpak-wine/home/Documents/My Games/flatpak/save.txt")
	if got := readFile(t, save); !strings.Contains(got, "saved") {
		t.Errorf("the save in the virtual home holds %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.home, "Documents/My Games/flatpak")); err == nil {
		t.Error("the save reached the real home")
	}
}

func TestFlatpakProfileRefusesForeignWineserver(t *testing.T) {
	e := needWine(t)
	outer := flatpakOuter(t, e)
	prefix := filepath.Join(t.TempDir(), "prefix")
	if err := os.MkdirAll(prefix, 0o700); err != nil {
		t.Fatal(err)
	}
	// A wineserver that lives on for a while, started outside WineWarden.
	// It goes to the background, so its output is not collected: the
	// pipes would stay open as long as it runs.
	server := exec.Command("wineserver", "-p30")
	server.Env = append(os.Environ(), "WINEPREFIX="+prefix)
	if err := server.Run(); err != nil {
		t.Fatalf("wineserver -p: %v", err)
	}
	t.Cleanup(func() {
		kill := exec.Command("wineserver", "-k")
		kill.Env = append(os.Environ(), "WINEPREFIX="+prefix)
		kill.Run()
	})
	r := e.runInside(t, outer, []string{"run", "--game-id", "flatpak-foreign", "--game-dir", e.gameDir, "--", e.helper, "exit", "0"},
		"WINEPREFIX="+prefix)
	if r.code == 0 || !strings.Contains(r.stderr, "a wineserver outside WineWarden runs for this prefix") {
		t.Errorf("a run beside a foreign wineserver was not refused (exit %d):\n%s", r.code, r.stderr)
	}
}

func TestFlatpakSteamProfileLinksClient(t *testing.T) {
	e := needWine(t)
	outer := flatpakOuter(t, e)
	root, _ := fakeSteamClient(t, e)
	proton := filepath.Join(t.TempDir(), "Proton 9.0", "proton")
	writeExecutable(t, proton, "#!/bin/sh\necho \"sdk64=$(cat \"$HOME/.steam/sdk64/steamclient.so\")\"\n")
	compat := filepath.Join(root, "steamapps/compatdata/4345")

	// Without a mount, the client's library is reached through a link in
	// the virtual home, which is $HOME.
	r := e.runInside(t, outer, []string{"run", "--", proton, "waitforexitandrun", e.probeExe},
		"SteamAppId=4345", "STEAM_COMPAT_DATA_PATH="+compat, "STEAM_COMPAT_CLIENT_INSTALL_PATH="+root)
	if r.code != 0 {
		t.Fatalf("exit status %d", r.code)
	}
	if !strings.Contains(r.stdout, "sdk64=client library") {
		t.Errorf("the Steam client's library is not reachable: %q", r.stdout)
	}
	link := filepath.Join(e.home, ".local/share/winewarden/virtual/steam-4345/home/.steam/sdk64")
	if target, err := os.Readlink(link); err != nil || target != filepath.Join(root, "linux64") {
		t.Errorf("link %s: %q, %v", link, target, err)
	}
}

func TestFlatpakProfileSweepsAfterInitDies(t *testing.T) {
	e := needWine(t)
	// The check runs inside the stand-in Flatpak, after winewarden has
	// returned: the stand-in's own end would kill what is left anyway.
	check := `"$@"; rc=$?; sleep 1
for p in /proc/[0-9]*; do
  case "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" in "sleep 297 "*) echo "leftover ${p#/proc/}" ;; esac
done
exit $rc`
	outer := append(flatpakOuter(t, e), "sh", "-c", check, "sh")
	prefix := filepath.Join(t.TempDir(), "prefix")
	r := e.runInside(t, outer, []string{"run", "--game-id", "flatpak-sweep", "--", "sh", "-c", "sleep 297 & kill -KILL $PPID; sleep 298"},
		"WINEPREFIX="+prefix)
	if r.code == 0 {
		t.Error("a session whose init stage was killed exited 0")
	}
	if strings.Contains(r.stdout, "leftover") {
		t.Errorf("processes outlived the session:\n%s", r.stdout)
	}
	swept := false
	for _, ev := range r.events {
		swept = swept || ev.Kind == audit.KindWarning && ev.Rule == "sandbox_sweep"
	}
	if !swept {
		t.Error("the session log does not say that processes were killed after the init stage")
	}
}
