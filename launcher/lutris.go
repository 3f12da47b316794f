package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds of what is read of Lutris's game configs.
const (
	maxLutrisConfigs    = 5000
	maxLutrisConfigSize = 1 << 20
)

// LutrisDir returns Lutris's config directory: ~/.config/lutris when it
// holds game configs or system options, as older Lutris versions keep
// them there, else ~/.local/share/lutris. An empty ~/.config/lutris left
// by an upgrade does not count.
func LutrisDir(home string) string {
	old := filepath.Join(home, ".config", "lutris")
	for _, name := range []string{"games", "system.yml"} {
		if _, err := os.Stat(filepath.Join(old, name)); err == nil {
			return old
		}
	}
	return filepath.Join(home, ".local", "share", "lutris")
}

// lutrisConfig holds the fields that identify a game in its Lutris config
// file.
type lutrisConfig struct {
	ID, Path    string
	Exe, Prefix string
}

// lutrisConfigs reads the game configs (games/<slug>-<timestamp>.yml),
// sorted by name. A file that is not valid YAML is skipped: it is Lutris's
// to report.
func lutrisConfigs(home string) ([]lutrisConfig, error) {
	dir := filepath.Join(LutrisDir(home), "games")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Lutris's game configs: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []lutrisConfig
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".yml") || len(out) >= maxLutrisConfigs {
			continue
		}
		path := filepath.Join(dir, name)
		var doc struct {
			Game struct {
				Exe    string `yaml:"exe"`
				Prefix string `yaml:"prefix"`
			} `yaml:"game"`
		}
		if readYAML(path, &doc) != nil {
			continue
		}
		out = append(out, lutrisConfig{ID: strings.TrimSuffix(name, ".yml"), Path: path,
			Exe: expandHome(doc.Game.Exe, home), Prefix: expandHome(doc.Game.Prefix, home)})
	}
	return out, nil
}

// readYAML decodes a YAML file of at most maxLutrisConfigSize bytes.
func readYAML(path string, v any) error {
	data, err := readBounded(path, maxLutrisConfigSize)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(data, v)
}

func expandHome(p, home string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return p
}
