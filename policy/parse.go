package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"syscall"

	"github.com/pelletier/go-toml/v2"
)

// Load reads and parses the configuration file at filePath. A missing file
// is not an error: Load then returns Default(). Any other read failure is an
// error that names the path, the reason and what to do about it.
func Load(filePath string) (Config, error) {
	data, err := os.ReadFile(filePath)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Config{}, readError(filePath, err)
	}
	return Parse(data, filePath)
}

// readError explains why the config file could not be read. The errno stays
// in the chain, so errors.Is(err, fs.ErrPermission) works.
func readError(filePath string, err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}

	var hint string
	switch {
	case errors.Is(err, fs.ErrPermission):
		hint = "give your user read access, for example with chmod u+r " + filePath
	case errors.Is(err, syscall.EISDIR):
		hint = "it must be a regular file, so move the directory elsewhere"
	case errors.Is(err, syscall.ENOTDIR):
		hint = "a parent of it is a file, not a directory"
	default:
		hint = "check that the file and its directory are readable"
	}
	return fmt.Errorf("reading config file %s: %w; %s", filePath, err, hint)
}

// Parse decodes a config.toml document. name is the file name used in error
// messages.
//
// Parsing starts from Default(): a key or a whole table missing from data
// keeps its default value. Each [[sacred_zones]] entry is added to the
// built-in zones, in file order. An entry whose path equals the path of a zone
// already in the list (a built-in zone or an earlier entry, compared after
// path.Clean) replaces that zone's label and action, each only if the entry
// sets it. So the file can relabel a built-in zone or change its action, but
// it cannot remove one. An added entry without an action gets "deny", and one
// without a label is labelled with its path.
//
// An unknown key, a value of the wrong type and invalid TOML syntax are
// errors that name the file, the line and the dotted key. Parse then runs
// Validate on the result.
func Parse(data []byte, name string) (Config, error) {
	return parseOnto(Default(), data, name)
}

// LoadGame reads a game's policy file (games/<launcher>-<id>.toml beside
// config.toml) over base, the global config. A key the file sets replaces
// base's value, lists included; [[sacred_zones]] entries are added as in
// config.toml, so a game's file cannot remove a zone either. A missing
// file returns base unchanged.
func LoadGame(base Config, filePath string) (Config, bool, error) {
	data, err := os.ReadFile(filePath)
	if errors.Is(err, fs.ErrNotExist) {
		return base, false, nil
	}
	if err != nil {
		return Config{}, false, readError(filePath, err)
	}
	cfg, err := ParseGame(base, data, filePath)
	return cfg, err == nil, err
}

// ParseGame decodes a game's policy file over base, as LoadGame does.
func ParseGame(base Config, data []byte, name string) (Config, error) {
	return parseOnto(base, data, name)
}

// parseOnto decodes data over base and validates the result.
func parseOnto(base Config, data []byte, name string) (Config, error) {
	cfg := base
	// Decoding writes through the tiers' pointers, which base shares.
	cfg.Tiers = Tiers{Red: base.Tiers.Red.clone(), Yellow: base.Tiers.Yellow.clone(), Green: base.Tiers.Green.clone()}
	baseZones := slices.Clone(base.SacredZones)
	// go-toml replaces a slice that [[sacred_zones]] fills, so the file's
	// entries are decoded alone and merged afterwards.
	cfg.SacredZones = nil

	// NOTE: go-toml v2.4.3 splits the whole document into lines again for
	// each unknown key, so the time to reject a file grows with the square of
	// its unknown keys: thousands of them take seconds.
	decoder := toml.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&cfg); err != nil {
		return Config{}, decodeError(data, name, err)
	}

	cfg.SacredZones = mergeZones(baseZones, cfg.SacredZones)
	for _, list := range []*[]string{
		&cfg.Process.AllowedPatterns,
		&cfg.Process.BlockedPatterns,
		&cfg.Network.AllowedDomains,
		&cfg.Network.AllowedCIDRs,
		&cfg.Network.DNSServers,
	} {
		if *list == nil {
			*list = []string{}
		}
	}
	if cfg.Network.AllowedPorts == nil {
		cfg.Network.AllowedPorts = []int{}
	}

	if problems := cfg.problems(); len(problems) > 0 {
		for i, err := range problems {
			problems[i] = fmt.Errorf("%s: %w", name, err)
		}
		return Config{}, errors.Join(problems...)
	}
	return cfg, nil
}

// mergeZones applies the file's entries to base as Parse documents it.
func mergeZones(base, entries []SacredZone) []SacredZone {
	zones := base
	for _, entry := range entries {
		i := slices.IndexFunc(zones, func(z SacredZone) bool {
			return path.Clean(z.Path) == path.Clean(entry.Path)
		})
		if i >= 0 {
			if entry.Label != "" {
				zones[i].Label = entry.Label
			}
			if entry.Action != "" {
				zones[i].Action = entry.Action
			}
			continue
		}

		if entry.Action == "" {
			entry.Action = "deny"
		}
		if entry.Label == "" {
			entry.Label = entry.Path
		}
		zones = append(zones, entry)
	}
	return zones
}
