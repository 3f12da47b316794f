package install

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

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
	if err := checkStatic(o.Binary); err != nil {
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

// checkStatic rejects a dynamically linked binary, which would look for
// its libraries inside Steam's runtime container and fail there.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading the winewarden binary %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked, and Steam runs compatibility tools inside its runtime container, where its libraries are missing: build a static binary with `make static` and install with bin/winewarden-static", path)
		}
	}
	return nil
}
