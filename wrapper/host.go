package wrapper

import (
	"os"
	"path/filepath"
	"strings"
)

// systemRootPaths are shared read-only; on merged-/usr systems most of them
// are symlinks into /usr and are recreated as such.
var systemRootPaths = []string{"/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// hostRoots inspects the host's system roots.
func hostRoots() []SystemRoot {
	var roots []SystemRoot
	for _, p := range systemRootPaths {
		info, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err == nil {
				roots = append(roots, SystemRoot{Path: p, LinkTarget: target})
			}
			continue
		}
		if info.IsDir() {
			roots = append(roots, SystemRoot{Path: p, Exec: p != "/etc"})
		}
	}
	return roots
}

// envAllowed decides which environment variables reach the game. The
// user's shell environment can hold tokens and agent sockets (GITHUB_TOKEN,
// SSH_AUTH_SOCK, DBUS_SESSION_BUS_ADDRESS), so only variables that games,
// Wine, graphics and audio stacks read pass.
var envAllowedNames = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "SHELL": true, "LANG": true, "LANGUAGE": true,
	"TZ": true, "TERM": true, "DISPLAY": true, "WAYLAND_DISPLAY": true, "XAUTHORITY": true,
	"XDG_RUNTIME_DIR": true, "XDG_SESSION_TYPE": true, "XDG_CURRENT_DESKTOP": true, "XDG_DATA_DIRS": true,
	"XDG_CONFIG_DIRS": true, "XDG_DATA_HOME": true, "XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true,
	"XDG_STATE_HOME": true, "PULSE_SERVER": true, "PULSE_SINK": true, "SteamAppId": true, "SteamGameId": true,
	"LD_LIBRARY_PATH": true, "GAMEID": true, "PROTONPATH": true, "UMU_ID": true,
}

var envAllowedPrefixes = []string{"LC_", "WINE", "DXVK_", "VKD3D_", "PROTON_", "STEAM_COMPAT_", "SDL_", "MESA_", "__GL_", "__NV_", "VK_", "GALLIUM_", "RADV_", "AMD_", "LIBGL_", "MANGOHUD", "GST_", "PIPEWIRE_", "LUTRIS_", "HEROIC_"}

func envAllowed(name string) bool {
	if envAllowedNames[name] {
		return true
	}
	for _, p := range envAllowedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// gameEnv builds the target's environment from the caller's.
func gameEnv(environ []string, prefix string) []string {
	var env []string
	overrides := ""
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !envAllowed(name) {
			continue
		}
		switch name {
		case "WINEPREFIX":
			continue
		case "WINEDLLOVERRIDES":
			overrides = value
			continue
		}
		env = append(env, kv)
	}
	if prefix != "" {
		env = append(env, "WINEPREFIX="+prefix)
	}
	// winemenubuilder writes .desktop and MIME files; inside the
	// virtual home they could not reach the host anyway.
	if overrides != "" {
		overrides += ";"
	}
	env = append(env, "WINEDLLOVERRIDES="+overrides+"winemenubuilder.exe=d")
	return env
}

// displaySockets finds the X11, Wayland and audio sockets to expose. The
// D-Bus session bus and every other socket in the runtime dir stay hidden.
func displaySockets(getenv func(string) string) (sockets, files []string) {
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if d := getenv("DISPLAY"); strings.HasPrefix(d, ":") {
		num := strings.TrimPrefix(d, ":")
		if i := strings.IndexByte(num, '.'); i >= 0 {
			num = num[:i]
		}
		if p := "/tmp/.X11-unix/X" + num; num != "" && exists(p) {
			sockets = append(sockets, p)
		}
	}
	if x := getenv("XAUTHORITY"); filepath.IsAbs(x) && exists(x) {
		files = append(files, filepath.Clean(x))
	}
	runtime := getenv("XDG_RUNTIME_DIR")
	if filepath.IsAbs(runtime) {
		if w := getenv("WAYLAND_DISPLAY"); w != "" {
			p := w
			if !filepath.IsAbs(p) {
				p = filepath.Join(runtime, w)
			}
			if exists(p) {
				sockets = append(sockets, filepath.Clean(p))
			}
		}
		for _, rel := range []string{"pulse/native", "pipewire-0"} {
			if p := filepath.Join(runtime, rel); exists(p) {
				sockets = append(sockets, p)
			}
		}
	}
	// On systemd-resolved and NetworkManager hosts /etc/resolv.conf is a
	// symlink into /run, which the sandbox recreates empty.
	if target, err := filepath.EvalSymlinks("/etc/resolv.conf"); err == nil && strings.HasPrefix(target, "/run/") {
		files = append(files, target)
	}
	return sockets, files
}
