package wrapper

import (
	"fmt"
	"path/filepath"

	"github.com/winewarden/winewarden/policy"
)

// kernelTrees are host trees the sandbox builds its own versions of. A
// host directory inside one of them would replace the sandbox's version
// (the host's /proc shows every host process) or reach host sockets.
var kernelTrees = []string{"/proc", "/sys", "/dev", "/run/user"}

// sharedTrees are trees the sandbox replaces or shows read-only; a
// directory that contains one would expose all of it.
var sharedTrees = append([]string{"/tmp", "/run", "/proc", "/sys", "/dev"}, systemRootPaths...)

// checkExposedDir rejects a host directory (the game's install dir or the
// Wine prefix) whose bind mount would undo part of the sandbox. The home and
// the sacred zones are checked by policy.CheckBindSource.
func checkExposedDir(kind, dir, runtimeDir string) error {
	inside := append([]string{}, kernelTrees...)
	contained := append([]string{}, sharedTrees...)
	if runtimeDir != "" && runtimeDir != "." && runtimeDir != "/" {
		inside = append(inside, runtimeDir)
		contained = append(contained, runtimeDir)
	}
	for _, tree := range inside {
		if policy.Within(dir, tree) {
			return fmt.Errorf("%s %s lies inside %s, which the sandbox replaces with its own", kind, dir, tree)
		}
	}
	for _, tree := range contained {
		if policy.Within(tree, dir) {
			return fmt.Errorf("%s %s contains %s, which the sandbox must not show", kind, dir, tree)
		}
	}
	if filepath.Dir(dir) == "/" {
		return fmt.Errorf("%s %s is a top-level system directory", kind, dir)
	}
	return nil
}

// privateTrees are WineWarden's own data: every game's virtual home and
// prefix, the trust key, and the session logs of all games.
func checkNotPrivate(kind, dir string, dirs xdgDirs, allowedInside string) error {
	for _, own := range []string{dirs.DataHome, filepath.Join(dirs.StateHome, "winewarden"), filepath.Dir(dirs.ConfigFile)} {
		if policy.Within(own, dir) {
			return fmt.Errorf("%s %s contains %s, WineWarden's own data of every game", kind, dir, own)
		}
		if policy.Within(dir, own) && (allowedInside == "" || !policy.Within(dir, allowedInside)) {
			return fmt.Errorf("%s %s lies inside %s, WineWarden's own data of every game", kind, dir, own)
		}
	}
	return nil
}

// withHint adds what the user can do about a rejected directory.
func withHint(kind string, err error) error {
	switch kind {
	case "Wine prefix":
		return fmt.Errorf("%w: unset WINEPREFIX to give the game a prefix of its own, or set it to another directory", err)
	case "launcher runtime":
		return fmt.Errorf("%w: use a Proton build in a folder of its own, such as Steam's steamapps/common/Proton 9.0", err)
	}
	return fmt.Errorf("%w: move the game into a folder of its own, or pass --game-dir with that folder", err)
}
