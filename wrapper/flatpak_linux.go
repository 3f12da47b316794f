//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/sandbox"
)

// flatpakInfo is the file Flatpak puts at the root of every sandbox it
// runs.
const flatpakInfo = "/.flatpak-info"

// inFlatpak reports whether winewarden runs inside a Flatpak sandbox, such
// as a launcher's Flatpak build, where no new namespaces can be made.
func inFlatpak() bool {
	_, err := os.Stat(flatpakInfo)
	return err == nil
}

// flatpakNote is logged for every run inside a Flatpak sandbox: what the
// degraded profile gives up, and what still holds.
const flatpakNote = "degraded Flatpak profile: Flatpak allows no new namespaces, so only Landlock and seccomp apply. " +
	"Given up: the mount view (the game sees the Flatpak's files by their real paths, limited by Landlock's rules, and its home is the virtual home through $HOME only), " +
	"the private process list, IPC, network and hostname, and the strict filesystem profile of the red tier. " +
	"Still in force: Landlock's filesystem rules and its ptrace and signal scoping, the syscall filter, the supervisor (programs, network destinations, and a Unix socket allowlist of display, audio and this prefix's wineserver), the virtual home's decoys and the trust score. " +
	"Run the launcher's native package for the full sandbox"

// withoutNamespaces turns spec into the degraded Flatpak profile: no
// namespaces, Landlock rules on host paths, the virtual home as $HOME, and
// Wine's server directories of wineprefix as the only writable places in
// /tmp. It rejects what the profile cannot keep: a sacred zone inside a
// directory the game can read (there is no mount to hide it), and the
// strict filesystem profile. It returns the Unix sockets the game may
// connect to.
func (p *plan) withoutNamespaces(spec *sandbox.Spec, wineprefix string, strict bool) ([]string, error) {
	if strict {
		return nil, errors.New("this game's trust tier needs the strict filesystem profile, which needs a mount view that a Flatpak sandbox cannot give: run the launcher's native package, or raise the game's tier with winewarden trust set")
	}
	for _, m := range p.view.Masks {
		if m != p.trustDir {
			return nil, fmt.Errorf("the sacred zone %s lies inside a directory the game sees, and a Flatpak sandbox gives no mount to hide it: move the game or its prefix elsewhere, or run the launcher's native package", m)
		}
	}
	serverDirs, err := wineServerDirs(wineprefix)
	if err != nil {
		return nil, err
	}
	if err := noForeignWineserver(serverDirs); err != nil {
		return nil, err
	}
	p.view.ReadOnlyBinds = p.linkReadOnlyBinds()

	spec.NoNamespaces, spec.SharedPID, spec.SharedIPC = true, true, true
	spec.Mounts, spec.Hostname, spec.NewNetwork = nil, "", false
	spec.Landlock = p.view.HostRules(serverDirs)
	spec.Env = hostViewEnv(spec.Env, p.view.VirtualHome)
	if spec.Dir == p.view.Home {
		spec.Dir = p.view.VirtualHome
	}
	sockets := append(serverDirs, p.view.Sockets...)
	return sockets, nil
}

// hostViewEnv points $HOME at the virtual home's own path and drops the
// XDG base directories, which name the real home's folders, so programs
// fall back to folders inside the virtual home.
func hostViewEnv(env []string, virtualHome string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "TMPDIR":
			continue
		}
		out = append(out, kv)
	}
	// TMPDIR stays unset: Debian's Wine puts its server directory there,
	// and the one made for it is in /tmp.
	return append(out, "HOME="+virtualHome)
}

// linkReadOnlyBinds makes the parts of the Steam client that the Steam profile
// shows under the home reachable from the virtual home as symlinks, since
// there is no mount to put them there. The links point at the real files,
// which Landlock lets the game read. The virtual home is the game's to
// write, so its directories are walked without following a symlink.
func (p *plan) linkReadOnlyBinds() []ReadOnlyBind {
	var linked []ReadOnlyBind
	for _, s := range p.view.ReadOnlyBinds {
		rel, err := filepath.Rel(p.view.Home, s.Target)
		if err != nil || strings.HasPrefix(rel, "..") {
			linked = append(linked, s)
			continue
		}
		dir, err := p.home.mkdirAll(filepath.Dir(rel))
		if err != nil {
			continue
		}
		name := filepath.Base(rel)
		var st unix.Stat_t
		if unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			if st.Mode&unix.S_IFMT != unix.S_IFLNK {
				unix.Close(dir)
				continue // a file of the game's own stays
			}
			unix.Unlinkat(dir, name, 0)
		}
		if unix.Symlinkat(s.Source, dir, name) == nil {
			linked = append(linked, s)
		}
		unix.Close(dir)
	}
	return linked
}

// wineServerDirs creates Wine's server directories for wineprefix, where
// wineserver puts its socket: /tmp/.wine-<uid>/server-<dev>-<inode> for
// upstream Wine and Proton, and for Debian's Wine, which keeps a random
// directory's name in the prefix's wineserver file, /tmp/<that name>/server-
// <dev>-<inode>. They are the only places in /tmp the game may write: other
// prefixes' server directories sit beside them, and a game that could write
// there could pose as their wineserver.
func wineServerDirs(wineprefix string) ([]string, error) {
	if err := os.MkdirAll(wineprefix, 0o700); err != nil {
		return nil, fmt.Errorf("creating the Wine prefix directory %s: %w", wineprefix, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(wineprefix, &st); err != nil {
		return nil, fmt.Errorf("Wine prefix %s: %w", wineprefix, err)
	}
	server := fmt.Sprintf("server-%x-%x", st.Dev, st.Ino)
	debian, err := debianServerBase(wineprefix)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, base := range []string{fmt.Sprintf("/tmp/.wine-%d", os.Getuid()), debian} {
		for _, d := range []string{base, filepath.Join(base, server)} {
			if err := privateDir(d); err != nil {
				return nil, err
			}
		}
		dirs = append(dirs, filepath.Join(base, server))
	}
	return dirs, nil
}

// debianServerBase returns the directory in /tmp that Debian's Wine takes
// from the prefix's wineserver file, and makes one, with that file, when
// the file is missing. Only the name's form is trusted: the game may have
// written the file, so the directory granted is always this prefix's own
// server directory inside it.
func debianServerBase(wineprefix string) (string, error) {
	file := filepath.Join(wineprefix, "wineserver")
	data, err := readSmallFile(file, 64)
	if err == nil {
		name := strings.TrimSpace(string(data))
		if !debianTmpName(name) {
			return "", fmt.Errorf("%s names %q, which is not a Wine server directory: remove the file", file, name)
		}
		return filepath.Join("/tmp", name), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	dir, err := os.MkdirTemp("/tmp", "wine-")
	if err != nil {
		return "", fmt.Errorf("creating Wine's server directory: %w", err)
	}
	if err := os.WriteFile(file, []byte(filepath.Base(dir)), 0o400); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("writing %s: %w", file, err)
	}
	return dir, nil
}

// debianTmpName reports whether name has the form of a directory that
// mkdtemp made for Wine: "wine-" and letters or digits.
func debianTmpName(name string) bool {
	rest, ok := strings.CutPrefix(name, "wine-")
	if !ok || rest == "" || len(rest) > 32 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// privateDir makes d, or checks that it is a directory of the user's with
// mode 0700 and not a symlink.
func privateDir(d string) error {
	if err := unix.Mkdir(d, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating Wine's server directory %s: %w", d, err)
	}
	var ds unix.Stat_t
	if err := unix.Lstat(d, &ds); err != nil {
		return fmt.Errorf("Wine's server directory %s: %w", d, err)
	}
	if ds.Mode&unix.S_IFMT != unix.S_IFDIR || int(ds.Uid) != os.Getuid() || ds.Mode&0o077 != 0 {
		return fmt.Errorf("Wine's server directory %s is not a directory of yours with mode 0700: remove it", d)
	}
	return nil
}

// readSmallFile reads a regular file of at most max bytes without
// following a symlink.
func readSmallFile(path string, max int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	buf := make([]byte, max+1)
	n, _ := io.ReadFull(f, buf)
	if n > max {
		return nil, fmt.Errorf("%s is longer than %d bytes", path, max)
	}
	return buf[:n], nil
}

// noForeignWineserver refuses a prefix whose wineserver already runs
// outside the sandbox: the game's Wine would connect to it and act through
// a process with none of the sandbox's limits.
func noForeignWineserver(serverDirs []string) error {
	for _, dir := range serverDirs {
		socket := filepath.Join(dir, "socket")
		conn, err := net.DialTimeout("unix", socket, time.Second)
		if err != nil {
			continue
		}
		conn.Close()
		return fmt.Errorf("a wineserver outside WineWarden runs for this prefix (%s accepts connections): close the programs that use the prefix, or run wineserver -k with its WINEPREFIX, then start the game again", socket)
	}
	return nil
}
