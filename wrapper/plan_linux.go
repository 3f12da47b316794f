//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
	"github.com/winewarden/winewarden/trust"
)

// plan is a prepared launch: the view, the prepared virtual home and what
// was found on the way.
type plan struct {
	view        View
	home        *tree
	decoys      map[string][]Decoy
	zones       []policy.Zone
	neutralized []Neutralized
	uid, gid    int
	// earlierIDs are ids of the same .exe name with other content (an
	// earlier version of the game), whose saves stay in their own homes.
	earlierIDs []string
	hostname   string
	// hostView: the sandbox has no mount view (the Flatpak profile).
	hostView bool
	// trustDir is the game's trust state directory when it lies inside a
	// directory the sandbox shows, and is hidden there.
	trustDir string
}

// prepare validates every path the sandbox will expose and readies the
// virtual home. Nothing is started here.
func prepare(dirs xdgDirs, cfg policy.Config, game Game, prefix string) (*plan, error) {
	p := &plan{uid: os.Getuid(), gid: os.Getgid()}
	home := dirs.Home
	if home == "/" || !filepath.IsAbs(home) {
		return nil, fmt.Errorf("home directory %q cannot be hidden: set HOME to your own directory", home)
	}
	for _, r := range systemRootPaths {
		if policy.Within(home, r) {
			return nil, fmt.Errorf("home directory %s lies inside the system directory %s, which every sandbox sees: set HOME to a directory of your own", home, r)
		}
	}
	p.zones = policy.ExpandZones(cfg.SacredZones, home)

	view := View{Roots: hostRoots(), Home: home, Prefix: prefix, MaskFiles: map[string]bool{}}
	masks, err := p.checkExposed("Wine prefix", prefix, dirs, filepath.Join(dirs.DataHome, "prefixes"))
	if err != nil {
		return nil, err
	}
	p.addMasks(&view, masks)

	if game.InstallDir != "" {
		dir, err := installDir(game)
		if err != nil {
			return nil, err
		}
		masks, err := p.checkExposed("game directory", dir, dirs, "")
		if err != nil {
			return nil, err
		}
		p.addMasks(&view, masks)
		view.InstallDir = dir
	}
	for _, tool := range game.Tools {
		dir, err := filepath.EvalSymlinks(tool)
		if err != nil {
			return nil, fmt.Errorf("launcher runtime %s: %w", tool, err)
		}
		masks, err := p.checkExposed("launcher runtime", dir, dirs, "")
		if err != nil {
			return nil, err
		}
		p.addMasks(&view, masks)
		view.Tools = append(view.Tools, dir)
	}
	// Checks passed: only now does a new prefix directory appear.
	if err := createPrefix(prefix); err != nil {
		return nil, err
	}

	gameRoot := filepath.Join(dirs.DataHome, "virtual", game.ID)
	view.VirtualHome = filepath.Join(gameRoot, "home")
	if _, err := os.Stat(view.VirtualHome); errors.Is(err, os.ErrNotExist) {
		p.earlierIDs = earlierVersions(dirs.DataHome, game)
	}
	if err := os.MkdirAll(view.VirtualHome, 0o700); err != nil {
		return nil, fmt.Errorf("creating the virtual home: %w", err)
	}
	if err := p.prepareHome(view, filepath.Join(gameRoot, "quarantine")); err != nil {
		return nil, err
	}

	view.RuntimeDir = ""
	if rd := dirs.RuntimeDir; filepath.IsAbs(rd) && rd != "/" && !policy.Within(rd, home) {
		view.RuntimeDir = rd
	}
	view.Sockets, view.ReadFiles = displaySockets(os.Getenv)
	view.Devices = sandbox.HostDevices("/dev", "/sys")
	p.view = view
	p.hostname, _ = os.Hostname()
	return p, nil
}

func (p *plan) addMasks(view *View, zones []policy.Zone) {
	for _, z := range zones {
		paths := []string{z.Path}
		if z.Pattern {
			paths, _ = filepath.Glob(z.Path)
		}
		for _, path := range paths {
			info, err := os.Lstat(path)
			if err != nil {
				continue
			}
			view.Masks = append(view.Masks, path)
			if !info.IsDir() {
				view.MaskFiles[path] = true
			}
		}
	}
}

// checkExposed runs every check on a host directory the sandbox is about to
// show: kernel and system trees, WineWarden's own data, the real home and the
// sacred zones. It returns the zones inside dir, which the view hides.
func (p *plan) checkExposed(kind, dir string, dirs xdgDirs, allowedInside string) ([]policy.Zone, error) {
	if err := checkExposedDir(kind, dir, dirs.RuntimeDir); err != nil {
		return nil, withHint(kind, err)
	}
	if err := checkNotPrivate(kind, dir, dirs, allowedInside); err != nil {
		return nil, withHint(kind, err)
	}
	masks, err := policy.CheckBindSource(dir, dirs.Home, p.zones)
	if err != nil {
		return nil, withHint(kind, fmt.Errorf("%s: %w", kind, err))
	}
	return masks, nil
}

// earlierVersions finds virtual homes of the same .exe name with another
// SHA-256, which a game update leaves behind.
func earlierVersions(dataHome string, game Game) []string {
	if game.SHA256 == "" || !strings.HasSuffix(game.ID, "-"+game.SHA256) {
		return nil
	}
	stem := strings.TrimSuffix(game.ID, game.SHA256)
	entries, _ := os.ReadDir(filepath.Join(dataHome, "virtual"))
	var ids []string
	for _, e := range entries {
		name := e.Name()
		if name != game.ID && strings.HasPrefix(name, stem) && len(name) == len(game.ID) {
			ids = append(ids, name)
		}
	}
	return ids
}

// installDir resolves the game's directory and checks that the main .exe
// lies inside it and that it can be read.
func installDir(game Game) (string, error) {
	dir, err := filepath.EvalSymlinks(game.InstallDir)
	if err != nil {
		return "", fmt.Errorf("game directory %s: %w", game.InstallDir, err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return "", fmt.Errorf("game directory %s cannot be read: %w", dir, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.IsDir() {
		return "", fmt.Errorf("game directory %s is not a directory", dir)
	}
	if _, err := f.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("game directory %s cannot be read: %w", dir, err)
	}
	if game.Exe != "" && !policy.Within(game.Exe, dir) {
		return "", fmt.Errorf("the game's .exe %s is not inside the game directory %s: pass the folder that contains it with --game-dir", game.Exe, dir)
	}
	return dir, nil
}

// hideTrustState creates the trust state directory when it lies inside a
// directory the sandbox shows (the prefix, or an install dir that holds a
// Steam compatdata directory), and hides it there. The game must neither
// read nor replace its own trust state.
func (p *plan) hideTrustState(dir string, key []byte) error {
	inPrefix := policy.Within(dir, p.view.Prefix)
	inInstall := p.view.InstallDir != "" && policy.Within(dir, p.view.InstallDir)
	if !inPrefix && !inInstall {
		return nil
	}
	if _, err := trust.OpenStore(dir, key, true); err != nil {
		return err
	}
	p.view.Masks = append(p.view.Masks, dir)
	p.trustDir = dir
	return nil
}

// strictDirs are the prefix directories the strict filesystem profile
// shows read-only: C:\windows, where a game could plant DLLs and service
// programs, and the Startup folders, whose programs Wine starts with the
// prefix. The bind mounts refuse a symlink anywhere in these paths, so a
// game that replaced one with a symlink cannot start in the strict profile.
//
// NOTE: a Startup folder that does not exist is not protected, so a game
// could create it. wineboot creates both when it makes a prefix.
func strictDirs(prefix string) []string {
	dirs := []string{
		filepath.Join(prefix, "drive_c", "windows"),
		filepath.Join(prefix, "drive_c", "ProgramData", "Microsoft", "Windows", "Start Menu", "Programs", "StartUp"),
	}
	users, _ := filepath.Glob(filepath.Join(prefix, "drive_c", "users", "*", "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "StartUp"))
	return append(dirs, users...)
}

// resolvePrefix picks the caller's WINEPREFIX or the game's own prefix and
// returns its canonical path without creating anything: an existing prefix
// must be a directory that belongs to the user.
func resolvePrefix(winePrefix, dataHome, gameID string) (string, error) {
	prefix := winePrefix
	if prefix == "" {
		prefix = filepath.Join(dataHome, "prefixes", gameID)
	}
	if !filepath.IsAbs(prefix) {
		return "", fmt.Errorf("WINEPREFIX %q is not an absolute path", prefix)
	}
	real, err := canonicalPath(filepath.Clean(prefix))
	if err != nil {
		return "", fmt.Errorf("Wine prefix %s: %w", prefix, err)
	}
	info, err := os.Stat(real)
	if errors.Is(err, os.ErrNotExist) {
		return real, nil
	}
	if err != nil {
		return "", fmt.Errorf("Wine prefix %s: %w", real, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("Wine prefix %s is not a directory", real)
	}
	if uid := fileOwner(info); uid != os.Getuid() {
		return "", fmt.Errorf("Wine prefix %s belongs to uid %d, not to you (uid %d): use a prefix of your own (unset WINEPREFIX to get one per game)", real, uid, os.Getuid())
	}
	return real, nil
}

// canonicalPath resolves symlinks in the part of path that exists and
// appends the rest, so a prefix can be checked before it is created.
func canonicalPath(path string) (string, error) {
	rest := ""
	for current := path; ; current = filepath.Dir(current) {
		real, err := filepath.EvalSymlinks(current)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) || current == "/" {
			return "", err
		}
		rest = filepath.Join(filepath.Base(current), rest)
	}
}

func createPrefix(prefix string) error {
	if err := os.MkdirAll(prefix, 0o700); err != nil {
		return fmt.Errorf("creating the Wine prefix directory %s: %w", prefix, err)
	}
	return nil
}

// prepareHome creates the folders Wine's shell folders point at, the mount
// points of the prefix and install dir when they lie below the home, and
// the decoys. Symlinks found on the way are moved to quarantine.
func (p *plan) prepareHome(view View, quarantine string) error {
	t, err := openTree(view.VirtualHome, quarantine)
	if err != nil {
		return err
	}
	p.home = t
	need := append([]string{}, homeDirs...)
	need = append(need, shellFolderTargets(view.Prefix, view.Home)...)
	for _, inside := range []string{view.Prefix, view.InstallDir} {
		if inside != "" && inside != view.Home && policy.Within(inside, view.Home) {
			need = append(need, strings.TrimPrefix(inside, view.Home+"/"))
		}
	}
	for _, rel := range need {
		fd, err := t.mkdirAll(rel)
		if err != nil {
			return err
		}
		closeFD(fd)
	}
	p.decoys, err = plantDecoys(t)
	if err != nil {
		return err
	}
	p.neutralized = t.moved
	return nil
}

// shellFolderTargets lists the folders below home that the prefix's shell
// folder links (drive_c/users/<user>/Documents and the rest) point at, so
// each becomes a real folder in the virtual home.
func shellFolderTargets(prefix, home string) []string {
	var out []string
	users := filepath.Join(prefix, "drive_c", "users")
	if info, err := os.Lstat(users); err != nil || !info.IsDir() {
		return nil
	}
	accounts, _ := os.ReadDir(users)
	for _, acct := range accounts {
		if !acct.IsDir() || acct.Type()&os.ModeSymlink != 0 {
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(users, acct.Name()))
		for _, e := range entries {
			if e.Type()&os.ModeSymlink == 0 {
				continue
			}
			target, err := os.Readlink(filepath.Join(users, acct.Name(), e.Name()))
			if err != nil || !filepath.IsAbs(target) {
				continue
			}
			target = filepath.Clean(target)
			if target != home && policy.Within(target, home) {
				out = append(out, strings.TrimPrefix(target, home+"/"))
			}
		}
	}
	return out
}

// spec turns the plan into the sandbox description.
func (p *plan) spec(argv []string, cwd string, degraded bool) *sandbox.Spec {
	// The caller's directory when the sandbox shows it, else the game's
	// own directory (many games load files relative to it), else home.
	dir := p.view.Home
	if p.view.InstallDir != "" {
		dir = p.view.InstallDir
	}
	for _, visible := range []string{p.view.InstallDir, p.view.Prefix} {
		if visible != "" && policy.Within(cwd, visible) {
			dir = cwd
		}
	}
	return &sandbox.Spec{
		Argv:           argv,
		Env:            gameEnv(os.Environ(), p.view.Prefix),
		Dir:            dir,
		Hostname:       p.hostname,
		UID:            p.uid,
		GID:            p.gid,
		Mounts:         p.view.Mounts(),
		Landlock:       p.view.Rules(),
		MinLandlockABI: 6,
		AllowDegraded:  degraded,
		NewNetwork:     p.view.NewNetwork,
		SharedPID:      p.view.SharedProcesses,
		SharedIPC:      p.view.SharedProcesses,
	}
}
