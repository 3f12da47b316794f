// Command winewarden runs Windows games under Wine or Proton inside an
// unprivileged Linux sandbox. See `winewarden help`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
	"github.com/winewarden/winewarden/wrapper"
)

const usage = `winewarden runs Windows games in a sandbox.

Usage:
  winewarden run [flags] -- CMD [ARGS...]   run a Wine/Proton command line in the sandbox
  winewarden status                         running sessions and known games with tier and score
  winewarden monitor [--session ID|last] [--speed N]
                                            live dashboard of a running session, or a replay of a finished one
  winewarden report [SESSION|--last] [--json] [--no-redact]
                                            what a session blocked, contacted and started
  winewarden trust list|show|set|reset ...  see or change a game's trust tier (winewarden trust help)
  winewarden install [LAUNCHER] [--dry-run] put WineWarden into Steam, Lutris, Heroic or Bottles
  winewarden uninstall [LAUNCHER] [--dry-run]
                                            take it out again, restoring the edited files
  winewarden steam protons|proton ...       list Protons, or choose the one a game runs with
  winewarden init [--force]                 write a commented default config file
  winewarden doctor                         check what this machine can enforce
  winewarden help                           show this text

Run flags:
  --game-id NAME        game identity (default: the main .exe's name and SHA-256)
  --game-dir DIR        the game's install directory, shown read-only (default: the .exe's directory)
  --network MODE        observe, offline or restrict for this run (default: the game's trust tier and the config)
  --allow-degraded      run even when a protection layer is missing; the session log lists what was in force
  --log-format FORMAT   the wrapper's own log on stderr: text or json (default text)
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		os.Exit(sandbox.RunInit())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return wrapper.ExitUsage
	}
	switch args[0] {
	case "run":
		return runGame(args[1:], stderr)
	case "init":
		return initConfig(args[1:], stdout, stderr)
	case "doctor":
		return wrapper.Doctor(stdout)
	case "status":
		return wrapper.StatusCommand(stdout, stderr)
	case "monitor":
		return wrapper.MonitorCommand(args[1:], stdout, stderr)
	case "report":
		return wrapper.ReportCommand(args[1:], stdout, stderr)
	case "trust":
		return wrapper.TrustCommand(args[1:], stdout, stderr)
	case "steam":
		return wrapper.SteamCommand(args[1:], stdout, stderr)
	case "compat":
		return compatTool(args[1:], stderr)
	case "install", "uninstall":
		return wrapper.InstallCommand(args[1:], args[0] == "uninstall", stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "winewarden: unknown command %q\n\n%s", args[0], usage)
	return wrapper.ExitUsage
}

func runGame(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts wrapper.Options
	fs.StringVar(&opts.GameID, "game-id", "", "game identity")
	fs.StringVar(&opts.GameDir, "game-dir", "", "the game's install directory")
	fs.StringVar(&opts.Network, "network", "", "observe, offline or restrict")
	fs.BoolVar(&opts.AllowDegraded, "allow-degraded", false, "run with missing layers")
	logFormat := fs.String("log-format", "text", "text or json")
	fs.Usage = func() { fmt.Fprint(os.Stdout, usage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return wrapper.ExitUsage
	}
	logger, err := audit.NewLogger(*logFormat, stderr, slog.LevelInfo)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return wrapper.ExitUsage
	}
	opts.Argv = fs.Args()
	opts.Flags = args[:len(args)-len(opts.Argv)]
	opts.Stdin, opts.Stdout, opts.Stderr = os.Stdin, os.Stdout, os.Stderr
	opts.Logger = logger

	code, err := wrapper.Run(opts)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
	}
	return code
}

// compatTool runs Steam's call of the compatibility tool: the chosen
// Proton, with Steam's verb and game, in the sandbox.
func compatTool(args []string, stderr io.Writer) int {
	argv, err := wrapper.CompatArgv(args)
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return wrapper.ExitSetup
	}
	return runGame(append([]string{"--"}, argv...), stderr)
}

func initConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "overwrite an existing config file")
	if err := fs.Parse(args); err != nil {
		return wrapper.ExitUsage
	}
	path, err := wrapper.ConfigPath()
	if err != nil {
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	if err := policy.WriteDefault(path, *force); err != nil {
		if errors.Is(err, policy.ErrExists) {
			fmt.Fprintf(stderr, "winewarden: %s already exists: pass --force to overwrite it\n", path)
			return 1
		}
		fmt.Fprintln(stderr, "winewarden:", err)
		return 1
	}
	fmt.Fprintln(stdout, "wrote", path)
	return 0
}
