package install

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/winewarden/winewarden/launcher"
)

// wineTools are the programs a Wine version directory offers to Lutris and
// Bottles, each wrapped by a script that runs the real one in the sandbox.
var wineTools = []string{"wine", "wine64", "wineserver"}

// baseWine finds the real Wine that a wrapper version runs: "system" for
// the one on PATH (/usr/bin), or a version directory of the launcher's.
func baseWine(name, versionsDir string) (bin string, err error) {
	if name == "" || name == "system" {
		if isFile("/usr/bin/wine") {
			return "/usr/bin", nil
		}
		return "", fmt.Errorf("no system Wine in /usr/bin: install wine, or name a Wine version with --wine")
	}
	if strings.ContainsAny(name, "/\x00") || name == "." || name == ".." || strings.HasPrefix(name, "winewarden-") {
		return "", fmt.Errorf("invalid Wine version %q", name)
	}
	bin = filepath.Join(versionsDir, name, "bin")
	if !isFile(filepath.Join(bin, "wine")) {
		return "", fmt.Errorf("Wine version %q not found: %s is missing", name, filepath.Join(bin, "wine"))
	}
	return bin, nil
}

// wineScripts returns the wrapper script of each of wineTools, for the
// real programs in bin. A tool bin lacks runs bin/wine's sibling wine.
func wineScripts(binary, bin, launcherName string) map[string][]byte {
	out := map[string][]byte{}
	for _, tool := range wineTools {
		real := filepath.Join(bin, tool)
		if !isFile(real) {
			real = filepath.Join(bin, "wine")
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "#!/bin/sh\n# Runs %s in the WineWarden sandbox. Written by `winewarden install %s`;\n", real, launcherName)
		fmt.Fprintf(&b, "# `winewarden uninstall %s` removes it.\n", launcherName)
		// Launchers ask for the version and stop or wait for a prefix's
		// wineserver outside any game. Those calls run no Windows code,
		// and the game's wineserver lives in its sandbox anyway, so they
		// go to the real program.
		passThrough := "--version|--help"
		if tool == "wineserver" {
			passThrough = "-k*|-w*|--kill*|--wait*|--version|--help|-h"
		}
		fmt.Fprintf(&b, "case \"$1\" in %s) exec %s \"$@\" ;; esac\n", passThrough, shellQuote(real))
		fmt.Fprintf(&b, "exec %s run -- %s \"$@\"\n", shellQuote(binary), shellQuote(real))
		out[tool] = b.Bytes()
	}
	return out
}

// putWineVersion writes a Wine version directory whose tools wrap those in
// bin.
func putWineVersion(s *session, dir, binary, bin string) error {
	scripts := wineScripts(binary, bin, s.launcher)
	for _, tool := range wineTools {
		if err := s.put(filepath.Join(dir, "bin", tool), scripts[tool], 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Lutris adds the Wine version "winewarden-<base>" to Lutris's Wine
// runner, which then lists it in the runner's version option.
func Lutris(o Options, base string) error {
	versions := filepath.Join(o.Home, ".local", "share", "lutris", "runners", "wine")
	flatpak := filepath.Join(o.Home, ".var", "app", "net.lutris.Lutris", "data", "lutris", "runners", "wine")
	name, _, err := wineVersion(o, launcher.Lutris, versions, flatpak, base)
	if err == nil && !o.DryRun {
		fmt.Fprintf(o.Out, "lutris: choose %q under a game's Runner options > Wine version; LUTRIS_GAME_UUID and the game's config name it to WineWarden.\n", name)
	}
	return err
}

// Bottles adds the runner "winewarden-<base>" to Bottles.
func Bottles(o Options, base string) error {
	runners := filepath.Join(o.Home, ".local", "share", "bottles", "runners")
	flatpak := filepath.Join(o.Home, ".var", "app", "com.usebottles.bottles", "data", "bottles", "runners")
	name, binary, err := wineVersion(o, launcher.Bottles, runners, flatpak, base)
	if err == nil && !o.DryRun {
		fmt.Fprintf(o.Out, "bottles: choose the runner %q in a bottle's settings, or set a program's launch options to: %s run -- %%command%%\n", name, shellQuote(binary))
	}
	return err
}

// wineVersion writes the version "winewarden-<base>" into a launcher's
// directory of Wine versions: the native one, or the Flatpak build's when
// only that one's parent exists. It returns the version's name and the
// winewarden its tools run.
func wineVersion(o Options, launcherName, versions, flatpak, base string) (string, string, error) {
	inFlatpak := false
	if !isDir(filepath.Dir(versions)) && isDir(filepath.Dir(flatpak)) {
		versions, inFlatpak = flatpak, true
	}
	bin, err := baseWine(base, versions)
	if err != nil {
		return "", "", err
	}
	name := "winewarden-" + versionName(base, bin)
	dir := filepath.Join(versions, name)
	binary := o.Binary
	var copyBinary func(*session) error
	if inFlatpak {
		// The version carries its own copy of winewarden.
		binary = filepath.Join(dir, "winewarden")
		if copyBinary, err = flatpakBinary(o, binary, launcherName); err != nil {
			return "", "", err
		}
	}
	s, err := begin(o, launcherName)
	if err != nil {
		return "", "", err
	}
	if copyBinary != nil {
		if err := copyBinary(s); err != nil {
			return "", "", s.abort(err)
		}
	}
	if err := putWineVersion(s, dir, binary, bin); err != nil {
		return "", "", s.abort(err)
	}
	if err := s.finish(); err != nil {
		return "", "", err
	}
	if inFlatpak && !o.DryRun {
		fmt.Fprintln(o.Out, launcherName+": "+flatpakNote)
	}
	return name, binary, nil
}

func versionName(base, bin string) string {
	if base == "" || base == "system" {
		return "system"
	}
	return filepath.Base(filepath.Dir(bin))
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// running reports whether a process of this user named name runs.
func running(name string) bool {
	entries, _ := os.ReadDir("/proc")
	uid := os.Getuid()
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		info, err := os.Stat(filepath.Join("/proc", e.Name()))
		if err != nil || !ownedBy(info, uid) {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == name {
			return true
		}
	}
	return false
}

func ownedBy(info os.FileInfo, uid int) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// LutrisPrefixCommand sets Lutris's system option prefix_command, which
// every game runs its command behind, to `winewarden run --`. An option
// set to something else is left alone.
func LutrisPrefixCommand(o Options) error {
	if running("lutris") {
		return errors.New("Lutris is running and would write its settings over the change: quit Lutris, then install again")
	}
	path := filepath.Join(launcher.LutrisDir(o.Home), "system.yml")
	app := filepath.Join(o.Home, ".var", "app", "net.lutris.Lutris")
	exe := o.Binary
	var before func(*session) error
	for _, fp := range []string{
		filepath.Join(app, "config", "lutris", "system.yml"),
		filepath.Join(app, "data", "lutris", "system.yml"),
	} {
		if !isFile(path) && isFile(fp) {
			path = fp
			exe = flatpakDataBinary(app)
			var err error
			if before, err = flatpakBinary(o, exe, launcher.Lutris); err != nil {
				return err
			}
			fmt.Fprintln(o.Out, "lutris: "+flatpakNote)
		}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("Lutris has no system options yet (%s is missing): open Lutris's Preferences > Global options once, then install again", path)
	}

	edit := func(old []byte) ([]byte, error) { return setPrefixCommand(old, path, exe) }
	return editFileWith(o, launcher.Lutris, before, path, edit, func(e *Entry) {
		e.Undo = &Undo{Kind: "lutris-prefix-command", Binary: exe}
	})
}

// setPrefixCommand sets system: prefix_command to `binary run --`, unless
// it is set to something else.
func setPrefixCommand(data []byte, name, binary string) ([]byte, error) {
	doc, err := yamlDocument(data, name)
	if err != nil {
		return nil, err
	}
	system, err := childMapping(doc.Content[0], "system", name)
	if err != nil {
		return nil, err
	}

	want := shellQuote(binary) + " run --"
	if v := mappingValue(system, "prefix_command"); v != nil && v.Value != "" {
		if v.Value == want {
			return data, nil
		}
		return nil, fmt.Errorf("%s already sets prefix_command to %q, so it was left as it is: clear it in Lutris first", name, v.Value)
	}
	setScalar(system, "prefix_command", want)
	return encodeYAML(doc)
}

// BottlesProgram sets the launch options of one program of a bottle so
// that it runs as `winewarden run -- %command%`, keeping its arguments.
func BottlesProgram(o Options, bottle, program string) error {
	if strings.ContainsAny(bottle, "/\x00") || bottle == "." || bottle == ".." || bottle == "" {
		return fmt.Errorf("invalid bottle name %q", bottle)
	}
	if running("bottles") {
		return errors.New("Bottles is running and would write the bottle's settings over the change: quit Bottles, then install again")
	}
	path := filepath.Join(o.Home, ".local", "share", "bottles", "bottles", bottle, "bottle.yml")
	app := filepath.Join(o.Home, ".var", "app", "com.usebottles.bottles")
	exe := o.Binary
	var before func(*session) error
	if fp := filepath.Join(app, "data", "bottles", "bottles", bottle, "bottle.yml"); !isFile(path) && isFile(fp) {
		path = fp
		exe = flatpakDataBinary(app)
		var err error
		if before, err = flatpakBinary(o, exe, launcher.Bottles); err != nil {
			return err
		}
	}
	if !isFile(path) {
		return fmt.Errorf("bottle %q not found: %s is missing", bottle, path)
	}

	edit := func(old []byte) ([]byte, error) { return wrapBottlesProgram(old, path, bottle, program, exe) }
	return editFileWith(o, launcher.Bottles, before, path, edit, func(e *Entry) {
		e.Undo = &Undo{Kind: "bottles-program", Name: program, Binary: exe}
	})
}

// wrapBottlesProgram puts `binary run --` before %command% in a program's
// launch options, adding %command% in front of its arguments when they
// have none.
func wrapBottlesProgram(data []byte, name, bottle, program, binary string) ([]byte, error) {
	doc, err := yamlDocument(data, name)
	if err != nil {
		return nil, err
	}
	programs := mappingValue(doc.Content[0], "External_Programs")
	if programs == nil || programs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("bottle %q has no programs (External_Programs in %s): add the program in Bottles first", bottle, name)
	}

	wrap := shellQuote(binary) + " run -- %command%"
	var names []string
	for i := 1; i < len(programs.Content); i += 2 {
		p := programs.Content[i]
		if p.Kind != yaml.MappingNode {
			continue
		}
		programName := ""
		if v := mappingValue(p, "name"); v != nil {
			programName = v.Value
		}
		names = append(names, fmt.Sprintf("%q", programName))
		if programName != program {
			continue
		}

		args := ""
		if v := mappingValue(p, "arguments"); v != nil {
			args = v.Value
		}
		if strings.Contains(args, shellQuote(binary)+" run --") {
			return data, nil
		}
		if strings.Contains(args, "%command%") {
			args = strings.Replace(args, "%command%", wrap, 1)
		} else {
			args = strings.TrimSpace(wrap + " " + args)
		}
		setScalar(p, "arguments", args)
		return encodeYAML(doc)
	}
	return nil, fmt.Errorf("bottle %q has no program %q; its programs: %s", bottle, program, strings.Join(names, ", "))
}

// removePrefixCommand clears Lutris's prefix_command when it is the one
// the install wrote.
func removePrefixCommand(data []byte, name, binary string) ([]byte, error) {
	doc, err := yamlDocument(data, name)
	if err != nil {
		return nil, err
	}
	system := mappingValue(doc.Content[0], "system")
	if system == nil || system.Kind != yaml.MappingNode {
		return data, nil
	}
	for i := 0; i+1 < len(system.Content); i += 2 {
		if system.Content[i].Value == "prefix_command" && system.Content[i+1].Value == shellQuote(binary)+" run --" {
			system.Content = append(system.Content[:i], system.Content[i+2:]...)
			return encodeYAML(doc)
		}
	}
	return data, nil
}

// unwrapBottlesProgram takes `winewarden run --` out of a program's launch
// options, leaving %command% and the program's own arguments.
func unwrapBottlesProgram(data []byte, name, program, binary string) ([]byte, error) {
	doc, err := yamlDocument(data, name)
	if err != nil {
		return nil, err
	}
	programs := mappingValue(doc.Content[0], "External_Programs")
	if programs == nil || programs.Kind != yaml.MappingNode {
		return data, nil
	}
	wrap := shellQuote(binary) + " run -- %command%"
	for i := 1; i < len(programs.Content); i += 2 {
		p := programs.Content[i]
		if p.Kind != yaml.MappingNode {
			continue
		}
		if v := mappingValue(p, "name"); v == nil || v.Value != program {
			continue
		}
		args := mappingValue(p, "arguments")
		if args == nil || !strings.Contains(args.Value, wrap) {
			return data, nil
		}
		value := strings.TrimSpace(strings.Replace(args.Value, wrap, "%command%", 1))
		if value == "%command%" {
			value = ""
		}
		setScalar(p, "arguments", value)
		return encodeYAML(doc)
	}
	return data, nil
}
