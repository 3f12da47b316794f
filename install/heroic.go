package install

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/winewarden/winewarden/launcher"
)

// HeroicDir returns Heroic's config directory: the native one when it
// exists, else the Flatpak build's.
func HeroicDir(home string) (dir string, flatpak bool, err error) {
	native := filepath.Join(home, ".config", "heroic")
	if isDir(native) {
		return native, false, nil
	}
	fp := filepath.Join(home, ".var", "app", "com.heroicgameslauncher.hgl", "config", "heroic")
	if isDir(fp) {
		return fp, true, nil
	}
	return "", false, fmt.Errorf("no Heroic configuration found (looked in %s and %s): start Heroic once first", native, fp)
}

// wrapper is one entry of Heroic's wrapperOptions.
type wrapper struct {
	Exe  string `json:"exe"`
	Args string `json:"args"`
}

// Heroic adds winewarden as the first wrapper of one game (appName) or,
// with appName empty, of the default settings that every game without its
// own wrappers uses. Every other key stays as it was.
func Heroic(o Options, appName string) error {
	dir, flatpak, err := HeroicDir(o.Home)
	if err != nil {
		return err
	}
	if running("heroic") {
		return errors.New("Heroic is running and would write its settings over the change: quit Heroic, then install again")
	}
	path := filepath.Join(dir, "config.json")
	section := "defaultSettings"
	if appName != "" {
		if strings.ContainsAny(appName, "/\x00") || appName == "." || appName == ".." {
			return fmt.Errorf("invalid Heroic app name %q", appName)
		}
		path = filepath.Join(dir, "GamesConfig", appName+".json")
		section = appName
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("Heroic has no settings for %q yet (%s is missing): open the game's settings in Heroic once, then install again", appName, path)
		}
	}

	exe := o.Binary
	var before func(*session) error
	if flatpak {
		exe = flatpakDataBinary(filepath.Dir(filepath.Dir(dir)))
		if before, err = flatpakBinary(o, exe, launcher.Heroic); err != nil {
			return err
		}
	}
	edit := func(old []byte) ([]byte, error) {
		return addHeroicWrapper(old, path, section, wrapper{Exe: exe, Args: "run --"})
	}
	err = editFileWith(o, launcher.Heroic, before, path, edit, func(e *Entry) {
		e.Undo = &Undo{Kind: "heroic-wrapper", Name: section, Binary: exe}
	})
	if err != nil || o.DryRun {
		return err
	}
	if flatpak {
		fmt.Fprintln(o.Out, "heroic: "+flatpakNote)
	}
	return nil
}

// addHeroicWrapper puts w first in section's wrapperOptions, unless a
// wrapper with w's program is there already.
func addHeroicWrapper(data []byte, name, section string, w wrapper) ([]byte, error) {
	return editWrapperOptions(data, name, section, false, func(wrappers []json.RawMessage) ([]json.RawMessage, bool) {
		for _, raw := range wrappers {
			var existing wrapper
			if json.Unmarshal(raw, &existing) == nil && existing.Exe == w.Exe {
				return nil, false
			}
		}
		first, _ := marshal(w)
		return append([]json.RawMessage{first}, wrappers...), true
	})
}

// removeHeroicWrapper takes every wrapper running binary out of section's
// wrapperOptions.
func removeHeroicWrapper(data []byte, name, section, binary string) ([]byte, error) {
	return editWrapperOptions(data, name, section, true, func(wrappers []json.RawMessage) ([]json.RawMessage, bool) {
		var others []json.RawMessage
		for _, raw := range wrappers {
			var w wrapper
			if json.Unmarshal(raw, &w) == nil && w.Exe == binary {
				continue
			}
			others = append(others, raw)
		}
		if len(others) == len(wrappers) {
			return nil, false
		}
		return append([]json.RawMessage{}, others...), true
	})
}

// editWrapperOptions reads section's wrapperOptions from a Heroic file and
// writes the list that change returns, in Heroic's format, keeping every
// other key. When change returns false, or section is missing and
// missingOK, the file stays as it is.
func editWrapperOptions(data []byte, name, section string, missingOK bool, change func([]json.RawMessage) ([]json.RawMessage, bool)) ([]byte, error) {
	doc, err := parseObject(data, name)
	if err != nil {
		return nil, err
	}
	raw, ok := doc.get(section)
	if !ok && missingOK {
		return data, nil
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %q settings, so it was left as it is", name, section)
	}
	var settings object
	if err := json.Unmarshal(raw, &settings); err != nil {
		return nil, fmt.Errorf("%s: %q is not an object, so the file was left as it is", name, section)
	}

	var wrappers []json.RawMessage
	if raw, ok := settings.get("wrapperOptions"); ok {
		if err := json.Unmarshal(raw, &wrappers); err != nil {
			return nil, fmt.Errorf("%s: wrapperOptions is not a list, so the file was left as it is", name)
		}
	}
	changed, ok := change(wrappers)
	if !ok {
		return data, nil
	}

	if err := settings.set("wrapperOptions", changed); err != nil {
		return nil, err
	}
	if err := doc.set(section, settings); err != nil {
		return nil, err
	}
	return formatLike(doc, data)
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
