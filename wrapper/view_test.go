package wrapper

import (
	"strings"
	"testing"

	"github.com/winewarden/winewarden/sandbox"
)

func testView() View {
	return View{
		Roots: []SystemRoot{
			{Path: "/usr", Exec: true},
			{Path: "/etc"},
			{Path: "/bin", LinkTarget: "usr/bin"},
		},
		Home:        "/home/alice",
		VirtualHome: "/home/alice/.local/share/winewarden/virtual/g/home",
		Prefix:      "/home/alice/.local/share/winewarden/prefixes/g",
		InstallDir:  "/home/alice/Games/g",
		Masks:       []string{"/home/alice/Games/g/.ssh", "/home/alice/Games/g/ssfn1"},
		MaskFiles:   map[string]bool{"/home/alice/Games/g/ssfn1": true},
		RuntimeDir:  "/run/user/1000",
		Sockets:     []string{"/tmp/.X11-unix/X0", "/run/user/1000/pulse/native"},
		Devices:     []string{"/dev/dri", "/dev/input/js0"},
	}
}

func TestViewMountsParentsFirst(t *testing.T) {
	mounts := testView().Mounts()
	seen := map[string]int{}
	for i, m := range mounts {
		seen[m.Target] = i
	}
	order := [][2]string{
		{"/tmp", "/tmp/.X11-unix/X0"},
		{"/run", "/run/user/1000"},
		{"/run/user/1000", "/run/user/1000/pulse/native"},
		{"/home/alice", "/home/alice/.local/share/winewarden/prefixes/g"},
		{"/home/alice", "/home/alice/Games/g"},
		{"/home/alice/Games/g", "/home/alice/Games/g/.ssh"},
		{"/dev", "/dev/dri"},
	}
	for _, o := range order {
		parent, okP := seen[o[0]]
		child, okC := seen[o[1]]
		if !okP || !okC {
			t.Errorf("missing mount %q or %q", o[0], o[1])
			continue
		}
		if parent > child {
			t.Errorf("%s is mounted after %s", o[0], o[1])
		}
	}
}

func TestViewMountAttributes(t *testing.T) {
	for _, m := range testView().Mounts() {
		switch m.Target {
		case "/usr", "/etc":
			if !m.ReadOnly {
				t.Errorf("%s is writable", m.Target)
			}
		case "/home/alice/Games/g":
			if !m.ReadOnly {
				t.Errorf("install dir is writable by default")
			}
		case "/home/alice":
			if m.Source != "/home/alice/.local/share/winewarden/virtual/g/home" {
				t.Errorf("home shows %q, want the virtual home", m.Source)
			}
		case "/home/alice/Games/g/.ssh":
			if m.Kind != sandbox.MountTmpfs || !m.ReadOnly {
				t.Errorf("sacred directory inside the install dir is not hidden: %+v", m)
			}
		case "/home/alice/Games/g/ssfn1":
			if m.Source != "/dev/null" || !m.File {
				t.Errorf("sacred file inside the install dir is not hidden: %+v", m)
			}
		case "/bin":
			if m.Kind != sandbox.MountSymlink || m.Source != "usr/bin" {
				t.Errorf("/bin: %+v, want a symlink to usr/bin", m)
			}
		case "/dev/dri", "/dev/input/js0", "/dev/null":
			if !m.Device {
				t.Errorf("%s lost its device nodes (nodev)", m.Target)
			}
		}
		if m.Kind == sandbox.MountBind && m.Source != "" && strings.HasPrefix(m.Source, "/home/alice/.ssh") {
			t.Errorf("real ~/.ssh is bound: %+v", m)
		}
	}
}

func TestViewRulesNeverExecuteWritable(t *testing.T) {
	v := testView()
	writable := map[string]bool{}
	for _, r := range v.Rules() {
		if r.Access == sandbox.AccessWrite || r.Access == sandbox.AccessDevice {
			writable[r.Path] = true
		}
	}
	for _, r := range v.Rules() {
		if r.Access != sandbox.AccessExec {
			continue
		}
		if writable[r.Path] {
			t.Errorf("%s is both writable and executable", r.Path)
		}
		switch r.Path {
		case "/usr", "/home/alice/Games/g":
		default:
			t.Errorf("execute granted on %s", r.Path)
		}
	}

	v.InstallRW = true
	for _, r := range v.Rules() {
		if r.Path == v.InstallDir && r.Access == sandbox.AccessExec {
			t.Errorf("a writable install dir is executable")
		}
	}
}

func TestGameEnvDropsSecretsAndDisablesMenuBuilder(t *testing.T) {
	env := gameEnv([]string{
		"PATH=/usr/bin", "HOME=/home/a", "GITHUB_TOKEN=ghp_x", "SSH_AUTH_SOCK=/run/a", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/bus",
		"WINEDEBUG=-all", "WINEPREFIX=/elsewhere", "WINEDLLOVERRIDES=d3d9=n", "DXVK_HUD=1", "LC_ALL=C",
	}, "/p")
	joined := strings.Join(env, "\n")
	for _, dropped := range []string{"GITHUB_TOKEN", "SSH_AUTH_SOCK", "DBUS_SESSION_BUS_ADDRESS", "WINEPREFIX=/elsewhere"} {
		if strings.Contains(joined, dropped) {
			t.Errorf("environment keeps %s", dropped)
		}
	}
	for _, required := range []string{"PATH=/usr/bin", "WINEDEBUG=-all", "DXVK_HUD=1", "LC_ALL=C", "WINEPREFIX=/p", "WINEDLLOVERRIDES=d3d9=n;winemenubuilder.exe=d"} {
		if !strings.Contains(joined, required) {
			t.Errorf("environment lacks %s:\n%s", required, joined)
		}
	}
}

func TestHostRules(t *testing.T) {
	v := testView()
	v.ReadOnlyBinds = []ReadOnlyBind{{Source: "/home/alice/.local/share/Steam/linux64", Target: "/home/alice/.steam/sdk64"}}
	rules := map[string]sandbox.Access{}
	for _, r := range v.HostRules([]string{"/tmp/.wine-1000/server-fe00-1f"}) {
		rules[r.Path] = r.Access
	}
	want := map[string]sandbox.Access{
		"/usr": sandbox.AccessExec, "/etc": sandbox.AccessRead, "/proc": sandbox.AccessWrite,
		v.VirtualHome: sandbox.AccessWrite, v.Prefix: sandbox.AccessWrite, v.InstallDir: sandbox.AccessExec,
		"/tmp/.wine-1000/server-fe00-1f": sandbox.AccessWrite, "/dev/dri": sandbox.AccessDevice,
		"/dev/null": sandbox.AccessDevice,
		// Read-only binds are reached by their real path, through a link.
		"/home/alice/.local/share/Steam/linux64": sandbox.AccessExec,
	}
	for path, access := range want {
		if rules[path] != access {
			t.Errorf("%s: %q, want %q", path, rules[path], access)
		}
	}
	// Nothing that would open the host more widely than the mount view:
	// no listing of /, no /tmp or /dev as a whole, no runtime directory,
	// and not the real home or a read-only bind's link target.
	for _, path := range []string{"/", "/tmp", "/dev", "/run", v.RuntimeDir, v.Home, "/home/alice/.steam/sdk64"} {
		if access, ok := rules[path]; ok {
			t.Errorf("%s granted %q", path, access)
		}
	}
}
