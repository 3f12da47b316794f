//go:build linux

package wrapper

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/winewarden/winewarden/install"
	"github.com/winewarden/winewarden/launcher"
)

const installUsage = `Usage: winewarden install [steam|lutris|heroic|bottles|all] [flags]
       winewarden uninstall [steam|lutris|heroic|bottles|all] [--dry-run]

install puts WineWarden into a game launcher, and uninstall takes it out
again: files it created are removed and files it edited are restored from
their backups in ~/.local/share/winewarden/backups. Running it twice
changes nothing the second time.
  steam     the "WineWarden" compatibility tool (needs a static build)
  lutris    the Wine version winewarden-<wine> of Lutris's Wine runner
  heroic    winewarden as the first wrapper of every game, or of --game
  bottles   the runner winewarden-<wine>
  all       each of those whose launcher is installed
Flags:
  --dry-run    print what would change, and change nothing
  --wine NAME  the Wine that Lutris's and Bottles's version runs:
               "system" (default) or one of their Wine versions
  --game APP   Heroic: the app name of one game. Steam: also choose the
               tool for these app ids (comma-separated, or "default" for
               every game) in Steam's config.vdf; quit Steam first
  --prefix-command
               Lutris only: set the system option prefix_command to
               "winewarden run --" instead of adding a Wine version
  --bottle NAME --program NAME
               Bottles only: set one program's launch options to
               "winewarden run -- %command%" instead of adding a runner
`

// InstallCommand runs `winewarden install` (uninstall false) and
// `winewarden uninstall`.
func InstallCommand(args []string, uninstall bool, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, installUsage) }
	dryRun := fs.Bool("dry-run", false, "")
	wine := fs.String("wine", "system", "")
	game := fs.String("game", "", "")
	prefixCommand := fs.Bool("prefix-command", false, "")
	bottle := fs.String("bottle", "", "")
	program := fs.String("program", "", "")
	target := "all"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		target, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return ExitUsage
	}
	// The launcher may also come after the flags.
	if target == "all" && fs.NArg() > 0 {
		target = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return ExitUsage
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "winewarden: unexpected argument %q\n\n%s", fs.Arg(0), installUsage)
		return ExitUsage
	}
	if (*bottle == "") != (*program == "") {
		fmt.Fprintf(stderr, "winewarden: --bottle and --program go together\n\n%s", installUsage)
		return ExitUsage
	}
	// Each flag belongs to one launcher. Given to another it would be
	// ignored, so it is rejected instead.
	for flagName, owner := range map[string]string{"wine": "lutris or bottles", "game": "steam or heroic",
		"prefix-command": launcher.Lutris, "bottle": launcher.Bottles, "program": launcher.Bottles} {
		if given(fs, flagName) && (uninstall || target != "all" && !strings.Contains(owner, target)) {
			fmt.Fprintf(stderr, "winewarden: --%s is for install %s only\n", flagName, owner)
			return ExitUsage
		}
	}
	if given(fs, "game") && target == "all" {
		fmt.Fprintln(stderr, "winewarden: --game means app ids for steam and an app name for heroic: install one of them at a time")
		return ExitUsage
	}
	if given(fs, "game") && *game == "" {
		fmt.Fprintln(stderr, "winewarden: --game needs a Heroic app name or Steam app ids")
		return ExitUsage
	}
	dirs, err := currentDirs()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	binary, err := installedBinary()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	o := install.Options{Home: dirs.Home, DataHome: dirs.DataHome, Binary: binary, DryRun: *dryRun, Out: stdout}
	// The launchers get this binary's full path, so it has to stay where
	// it is: a build tree's bin/ goes away with make clean.
	if onPath, err := exec.LookPath("winewarden"); !uninstall && (err != nil || !sameFile(onPath, binary)) {
		fmt.Fprintf(stderr, "winewarden: note: the launchers will run %s, which is not the winewarden on PATH; after make install, run ~/.local/bin/winewarden install instead\n", binary)
	}

	targets := []string{target}
	if target == "all" {
		targets = presentLaunchers(dirs.Home)
		if len(targets) == 0 {
			fmt.Fprintln(stderr, "winewarden: no Steam, Lutris, Heroic or Bottles installation found in", dirs.Home)
			return 1
		}
	}
	failed := false
	for _, t := range targets {
		var err error
		switch {
		case uninstall && (t == launcher.Steam || t == launcher.Lutris || t == launcher.Heroic || t == launcher.Bottles):
			err = install.Uninstall(o, t)
		case t == launcher.Steam:
			err = install.Steam(o)
			if err == nil && *game != "" {
				err = install.SteamCompatTool(o, strings.Split(*game, ","))
			}
		case t == launcher.Lutris && *prefixCommand:
			err = install.LutrisPrefixCommand(o)
		case t == launcher.Lutris:
			err = install.Lutris(o, *wine)
		case t == launcher.Bottles && *bottle != "":
			err = install.BottlesProgram(o, *bottle, *program)
		case t == launcher.Heroic:
			err = install.Heroic(o, *game)
		case t == launcher.Bottles:
			err = install.Bottles(o, *wine)
		default:
			fmt.Fprintf(stderr, "winewarden: unknown launcher %q\n\n%s", t, installUsage)
			return ExitUsage
		}
		if err != nil {
			fmt.Fprintf(stderr, "winewarden: %s: %v\n", t, err)
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// given reports whether the flag name was on the command line, even with
// an empty value.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// installedBinary returns the path of the running winewarden, which the
// launchers are to run.
func installedBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the winewarden binary: %w", err)
	}
	return filepath.EvalSymlinks(exe)
}

// presentLaunchers lists the launchers with a configuration under home.
func presentLaunchers(home string) []string {
	var out []string
	if _, err := launcher.SteamRoot(home); err == nil {
		out = append(out, launcher.Steam)
	}
	for _, l := range []struct{ name, native, flatpak string }{
		{launcher.Lutris, ".local/share/lutris", ".var/app/net.lutris.Lutris"},
		{launcher.Heroic, ".config/heroic", ".var/app/com.heroicgameslauncher.hgl"},
		{launcher.Bottles, ".local/share/bottles", ".var/app/com.usebottles.bottles"},
	} {
		if exists(filepath.Join(home, l.native)) || exists(filepath.Join(home, l.flatpak)) {
			out = append(out, l.name)
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
