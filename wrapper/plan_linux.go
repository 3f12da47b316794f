//go:build linux

package wrapper

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
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
	hostname    string
}

// prepare validates every path the sandbox will expose and readies the
// virtual home. Nothing is started here.
func prepare(dirs xdgDirs, cfg policy.Config, game Game, winePrefix string) (*plan, error) {
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

	prefix, err := resolvePrefix(winePrefix, dirs.DataHome, game.ID)
	if err != nil {
		return nil, err
	}
	view := View{Roots: hostRoots(), Home: home, Prefix: prefix, MaskFiles: map[string]bool{}}

	if err := checkExposedDir("Wine prefix", prefix, dirs.RuntimeDir); err != nil {
		return nil, err
	}
	masks, err := policy.CheckBindSource(prefix, home, p.zones)
	if err != nil {
		return nil, fmt.Errorf("Wine prefix: %w", err)
	}
	p.addMasks(&view, masks)
	if game.InstallDir != "" {
		dir, err := filepath.EvalSymlinks(game.InstallDir)
		if err != nil {
			return nil, fmt.Errorf("game directory %s: %w", game.InstallDir, err)
		}
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("game directory %s is not a directory", dir)
		}
		if err := checkExposedDir("game directory", dir, dirs.RuntimeDir); err != nil {
			return nil, err
		}
		masks, err := policy.CheckBindSource(dir, home, p.zones)
		if err != nil {
			return nil, fmt.Errorf("game directory: %w", err)
		}
		p.addMasks(&view, masks)
		view.InstallDir = dir
	}

	gameRoot := filepath.Join(dirs.DataHome, "virtual", game.ID)
	view.VirtualHome = filepath.Join(gameRoot, "home")
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

// resolvePrefix picks the caller's WINEPREFIX or the game's own prefix,
// creates it if needed and checks that it belongs to the user.
func resolvePrefix(winePrefix, dataHome, gameID string) (string, error) {
	prefix := winePrefix
	if prefix == "" {
		prefix = filepath.Join(dataHome, "prefixes", gameID)
	}
	if !filepath.IsAbs(prefix) {
		return "", fmt.Errorf("WINEPREFIX %q is not an absolute path", prefix)
	}
	if err := os.MkdirAll(prefix, 0o700); err != nil {
		return "", fmt.Errorf("creating the Wine prefix directory %s: %w", prefix, err)
	}
	real, err := filepath.EvalSymlinks(prefix)
	if err != nil {
		return "", fmt.Errorf("Wine prefix %s: %w", prefix, err)
	}
	info, err := os.Stat(real)
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
	}
}
