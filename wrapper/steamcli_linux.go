//go:build linux

package wrapper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/winewarden/winewarden/launcher"
	"github.com/winewarden/winewarden/policy"
)

const steamUsage = `Usage: winewarden steam protons
       winewarden steam proton APPID|default "PROTON NAME"

protons lists the Proton builds Steam has: steamapps/common/Proton* in every
library folder, and compatibilitytools.d. proton chooses the one that
WineWarden's compatibility tool runs a game with (APPID), or every game
without a choice of its own (default). The choice is kept in
games/steam-APPID.toml or in config.toml, under [steam] proton.
`

// SteamCommand runs `winewarden steam`.
func SteamCommand(args []string, stdout, stderr io.Writer) int {
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	switch {
	case len(args) == 1 && args[0] == "protons":
		err = listProtons(dirs, stdout)
	case len(args) == 3 && args[0] == "proton":
		err = chooseProton(dirs, args[1], args[2], stdout)
	case len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help"):
		fmt.Fprint(stdout, steamUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "winewarden steam: invalid arguments %q\n\n%s", args, steamUsage)
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	return 0
}

func listProtons(dirs xdgDirs, stdout io.Writer) error {
	root, err := launcher.SteamRoot(dirs.Home)
	if err != nil {
		return err
	}
	protons, err := launcher.Protons(root)
	if err != nil {
		return err
	}
	if len(protons) == 0 {
		fmt.Fprintln(stdout, "no Proton found: install one in Steam first")
	}
	for _, p := range protons {
		runtime := ""
		if p.RequiresRuntime != "" {
			runtime = " (runtime " + p.RequiresRuntime + ")"
		}
		fmt.Fprintf(stdout, "%s\t%s%s\n", p.Name, p.Dir, runtime)
	}
	return nil
}

func chooseProton(dirs xdgDirs, app, name string, stdout io.Writer) error {
	path := dirs.ConfigFile
	if app != "default" {
		if !launcher.ValidAppID(app) {
			return fmt.Errorf("invalid app id %q: use the game's Steam app id (a number) or default", app)
		}
		path = gamePolicyPath(dirs.ConfigFile, launcher.Steam+"-"+app)
	}
	if root, err := launcher.SteamRoot(dirs.Home); err == nil {
		if _, err := launcher.FindProton(root, name); err != nil {
			return err
		}
	}
	if err := setTOMLString(path, "steam", "proton", name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: [steam] proton = %q\n", path, name)
	return nil
}

// setTOMLString sets key in [table] of a TOML file to a string, keeping
// every other line, and checks that the result is still a valid config
// before it replaces the file.
func setTOMLString(path, table, key, value string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	line := key + " = " + strconv.Quote(value)
	header := regexp.MustCompile(`^\s*\[\s*` + regexp.QuoteMeta(table) + `\s*\]\s*(#.*)?$`)
	anyHeader := regexp.MustCompile(`^\s*\[`)
	keyLine := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `\s*=`)

	lines := strings.Split(string(old), "\n")
	at := slices.IndexFunc(lines, header.MatchString)
	if at >= 0 {
		set := false
		for j := at + 1; j < len(lines) && !anyHeader.MatchString(lines[j]); j++ {
			if keyLine.MatchString(lines[j]) {
				lines[j], set = line, true
				break
			}
		}
		if !set {
			lines = slices.Insert(lines, at+1, line)
		}
	}
	text := strings.Join(lines, "\n")
	if at < 0 {
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if text != "" {
			text += "\n"
		}
		text += "[" + table + "]\n" + line + "\n"
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if _, err := policy.ParseGame(policy.Default(), []byte(text), path); err != nil {
		return fmt.Errorf("%s would not be a valid config after the change, so it was left as it is: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".winewarden-new"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
