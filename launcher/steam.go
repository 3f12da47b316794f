package launcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/andygrunwald/vdf"
)

// maxVDFSize bounds a VDF file read from a Steam tree.
const maxVDFSize = 8 << 20

// ToolName is the internal and display name of WineWarden's Steam
// compatibility tool.
const ToolName = "WineWarden"

// SteamRoot returns the Steam installation under home: ~/.steam/root, the
// link Steam keeps to it, else the usual native and Flatpak places.
func SteamRoot(home string) (string, error) {
	candidates := []string{
		filepath.Join(home, ".steam", "root"),
		filepath.Join(home, ".steam", "steam"),
		filepath.Join(home, ".local", "share", "Steam"),
		filepath.Join(home, ".var", "app", "com.valvesoftware.Steam", ".local", "share", "Steam"),
	}
	for _, c := range candidates {
		if info, err := os.Stat(filepath.Join(c, "steamapps")); err == nil && info.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("no Steam installation found (looked in %s): start Steam once, or install it", strings.Join(candidates, ", "))
}

// IsFlatpakSteam reports whether root is Flatpak Steam's installation.
func IsFlatpakSteam(root string) bool {
	return strings.Contains(root, "/.var/app/com.valvesoftware.Steam/")
}

// ReadVDF parses a text VDF file of at most maxVDFSize bytes.
func ReadVDF(path string) (map[string]any, error) {
	data, err := readBounded(path, maxVDFSize)
	if err != nil {
		return nil, err
	}
	m, err := vdf.NewParser(strings.NewReader(string(data))).Parse()
	if err != nil {
		return nil, fmt.Errorf("%s is not valid VDF: %w", path, err)
	}
	return m, nil
}

// readBounded reads a launcher's file, which is an error when it is larger
// than limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// lookup returns the value under keys, matched without regard to case as
// Steam does.
func lookup(m map[string]any, keys ...string) (any, bool) {
	var cur any = m
	for _, k := range keys {
		node, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		found := false
		for name, v := range node {
			if strings.EqualFold(name, k) {
				cur, found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

// VDFString returns the string under keys of a parsed VDF file, matched
// without regard to case, or "".
func VDFString(m map[string]any, keys ...string) string { return lookupString(m, keys...) }

func lookupString(m map[string]any, keys ...string) string {
	v, _ := lookup(m, keys...)
	s, _ := v.(string)
	return s
}

// Libraries returns the Steam library folders that
// steamapps/libraryfolders.vdf lists, the installation's own first.
func Libraries(root string) ([]string, error) {
	libs := []string{root}
	// The same folder can be named through a link (~/.steam/root), so
	// folders are compared by their real paths.
	seen := map[string]bool{realPath(root): true}

	path := filepath.Join(root, "steamapps", "libraryfolders.vdf")
	m, err := ReadVDF(path)
	if errors.Is(err, os.ErrNotExist) {
		return libs, nil
	}
	if err != nil {
		return nil, err
	}
	folders, ok := lookup(m, "libraryfolders")
	node, isMap := folders.(map[string]any)
	if !ok || !isMap {
		return nil, fmt.Errorf("%s has no \"libraryfolders\" section", path)
	}

	// The keys are "0", "1", ...: shorter first puts "10" after "9".
	keys := make([]string, 0, len(node))
	for k := range node {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		var lib string
		switch v := node[k].(type) {
		case string:
			// Older clients list the path itself.
			if isDigits(k) {
				lib = v
			}
		case map[string]any:
			lib = lookupString(v, "path")
		}
		if lib != "" && filepath.IsAbs(lib) && !seen[realPath(lib)] {
			seen[realPath(lib)] = true
			libs = append(libs, filepath.Clean(lib))
		}
	}
	return libs, nil
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// realPath resolves links in p, or returns p cleaned when it cannot.
func realPath(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	return filepath.Clean(p)
}

// Proton is one Proton build that Steam can run.
type Proton struct {
	// Name is the label Steam shows: the directory name under
	// steamapps/common, or a compatibility tool's display_name.
	Name string
	// Dir contains the proton script.
	Dir string
	// RequiresRuntime is the app id of the Steam Linux Runtime the build
	// runs in (require_tool_appid), or "".
	RequiresRuntime string
}

// Protons lists the Proton builds in every library's steamapps/common and
// in compatibilitytools.d, WineWarden's own tool left out, sorted by name.
func Protons(root string) ([]Proton, error) {
	libs, err := Libraries(root)
	if err != nil {
		return nil, err
	}
	var out []Proton
	for _, lib := range libs {
		dirs, _ := filepath.Glob(filepath.Join(lib, "steamapps", "common", "Proton*"))
		for _, dir := range dirs {
			if isFile(filepath.Join(dir, "proton")) {
				out = append(out, Proton{Name: filepath.Base(dir), Dir: dir, RequiresRuntime: requiredRuntime(dir)})
			}
		}
	}
	tools, _ := filepath.Glob(filepath.Join(root, "compatibilitytools.d", "*", "proton"))
	for _, script := range tools {
		dir := filepath.Dir(script)
		if filepath.Base(dir) == ToolName {
			continue
		}
		name := filepath.Base(dir)
		if m, err := ReadVDF(filepath.Join(dir, "compatibilitytool.vdf")); err == nil {
			if tools, ok := lookup(m, "compatibilitytools", "compat_tools"); ok {
				if node, ok := tools.(map[string]any); ok {
					for _, tool := range node {
						if t, ok := tool.(map[string]any); ok && lookupString(t, "display_name") != "" {
							name = lookupString(t, "display_name")
						}
					}
				}
			}
		}
		out = append(out, Proton{Name: name, Dir: dir, RequiresRuntime: requiredRuntime(dir)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func requiredRuntime(dir string) string {
	m, err := ReadVDF(filepath.Join(dir, "toolmanifest.vdf"))
	if err != nil {
		return ""
	}
	return lookupString(m, "manifest", "require_tool_appid")
}

// FindProton returns the Proton build named name (as Protons names them,
// ignoring case), or an error listing the ones found.
func FindProton(root, name string) (Proton, error) {
	protons, err := Protons(root)
	if err != nil {
		return Proton{}, err
	}
	var names []string
	for _, p := range protons {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
		names = append(names, fmt.Sprintf("%q", p.Name))
	}
	if len(names) == 0 {
		return Proton{}, fmt.Errorf("no Proton found in Steam's libraries or compatibilitytools.d: install one in Steam first")
	}
	return Proton{}, fmt.Errorf("Proton %q not found; installed: %s", name, strings.Join(names, ", "))
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
