package install

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/winewarden/winewarden"
	"github.com/winewarden/winewarden/launcher"
)

// compatibilityTool is the compatibilitytool.vdf that makes Steam list
// WineWarden in a game's compatibility options.
const compatibilityTool = `"compatibilitytools"
{
  "compat_tools"
  {
    "` + launcher.ToolName + `"
    {
      "install_path" "."
      "display_name" "` + launcher.ToolName + `"
      "from_oslist" "windows"
      "to_oslist" "linux"
    }
  }
}
`

// SteamToolDir returns the directory of WineWarden's compatibility tool.
func SteamToolDir(root string) string {
	return filepath.Join(root, "compatibilitytools.d", launcher.ToolName)
}

// Steam installs the compatibility tool: its two manifests and a copy of
// the binary, which has to be statically linked because Steam runs it
// inside its runtime container.
func Steam(o Options) error {
	root, err := launcher.SteamRoot(o.Home)
	if err != nil {
		return err
	}
	if err := checkStatic(o.Binary, "Steam runs compatibility tools inside its runtime container"); err != nil {
		return err
	}
	binary, err := os.ReadFile(o.Binary)
	if err != nil {
		return fmt.Errorf("reading the winewarden binary: %w", err)
	}
	s, err := begin(o, launcher.Steam)
	if err != nil {
		return err
	}
	dir := SteamToolDir(root)
	for _, f := range []struct {
		name    string
		content []byte
		mode    os.FileMode
	}{
		{"compatibilitytool.vdf", []byte(compatibilityTool), 0o644},
		{"toolmanifest.vdf", winewarden.ToolManifest, 0o644},
		{"winewarden", binary, 0o755},
	} {
		if err := s.put(filepath.Join(dir, f.name), f.content, f.mode); err != nil {
			return s.abort(err)
		}
	}
	if err := s.finish(); err != nil || o.DryRun {
		return err
	}
	if launcher.IsFlatpakSteam(root) {
		fmt.Fprintln(o.Out, "steam: "+flatpakNote)
	}
	fmt.Fprintf(o.Out, "steam: restart Steam, then choose %q in a game's Properties > Compatibility.\n", launcher.ToolName)
	fmt.Fprintln(o.Out, "steam: choose the Proton it runs with: winewarden steam proton APPID \"Proton 9.0\" (or `default` for every game)")
	return nil
}

// IsDynamic reports whether an ELF program names a dynamic loader
// (a PT_INTERP header).
func IsDynamic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true, nil
		}
	}
	return false, nil
}

// checkStatic rejects a dynamically linked binary for a launcher that runs
// it where the host's libraries are missing (where names that place), since
// it would fail to find them there.
func checkStatic(path, where string) error {
	dynamic, err := IsDynamic(path)
	if err != nil {
		return fmt.Errorf("reading the winewarden binary %s: %w", path, err)
	}
	if dynamic {
		return fmt.Errorf("%s is dynamically linked, and %s, where its libraries are missing: build a static binary with `make static` and install with bin/winewarden-static", path, where)
	}
	return nil
}

// SteamCompatTool maps each of apps (Steam app ids, or "default" for every
// game) to WineWarden's tool in Steam's config.vdf, as a game's
// Properties > Compatibility choice does. Steam writes that file over on
// exit, so the edit is refused while Steam runs.
func SteamCompatTool(o Options, apps []string) error {
	root, err := launcher.SteamRoot(o.Home)
	if err != nil {
		return err
	}
	var ids []string
	for _, app := range apps {
		if app == "default" {
			app = "0"
		}
		if !launcher.ValidAppID(app) {
			return fmt.Errorf("invalid Steam app id %q: use the game's app id or default", app)
		}
		ids = append(ids, app)
	}
	if running("steam") {
		return errors.New("Steam is running and writes config.vdf over the change when it exits: quit Steam, then install again")
	}
	path := filepath.Join(root, "config", "config.vdf")
	if !isFile(path) {
		return fmt.Errorf("%s is missing: start Steam once, then install again", path)
	}

	edit := func(old []byte) ([]byte, error) {
		data := old
		for _, app := range ids {
			var err error
			if data, err = setCompatTool(data, path, app); err != nil {
				return nil, err
			}
		}
		return data, nil
	}
	return editFile(o, launcher.Steam, path, edit, func(e *Entry) {
		for _, app := range ids {
			if !slices.Contains(e.SteamApps, app) {
				e.SteamApps = append(e.SteamApps, app)
			}
		}
	})
}

// unmapSteamApps takes the install's entries out of a config.vdf that
// Steam rewrote since, keeping everything else Steam wrote.
func unmapSteamApps(e Entry, current []byte) ([]byte, error) {
	data := current
	for _, app := range e.SteamApps {
		var err error
		if data, err = removeCompatTool(data, e.Path, app); err != nil {
			return nil, err
		}
	}
	return data, nil
}
