package launcher

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Chain is a launcher's expanded command line split into its parts, as
// Steam's %command% and umu produce it:
//
//	[steam-launch-wrapper ARGS --] [reaper SteamLaunch AppId=N --]
//	[.../_v2-entry-point --verb=V --] .../proton VERB GAME [ARGS]
//
// Older Steam clients put reaper before steam-launch-wrapper; each wrapper
// is recognised by its base name wherever it appears.
type Chain struct {
	// Outer lists the wrappers that run outside the sandbox, each with its
	// arguments and the "--" that ends them: Steam's launch wrapper and
	// reaper, which Steam uses to track the game.
	Outer [][]string
	// Runtime is the Steam Linux Runtime's entry point with its arguments
	// and "--", or nil. Its container has to be set up before the sandbox
	// starts, so the sandbox goes inside it.
	Runtime []string
	// AppID is the app id that reaper names, or "".
	AppID string
	// Install is true for Steam's install script runs (reaper Install=1).
	Install bool
	// Proton is the path of the proton script, or "" for a command
	// without one.
	Proton string
	// Verb is proton's first argument, such as waitforexitandrun.
	Verb string
	// Target is the command the sandbox runs: proton VERB GAME ARGS, or
	// the whole command when it names no proton.
	Target []string
}

// ProtonVerbs are the verbs the proton script accepts.
var ProtonVerbs = map[string]bool{
	"run": true, "waitforexitandrun": true, "runinprefix": true,
	"destroyprefix": true, "getcompatpath": true, "getnativepath": true,
}

// ParseCommand splits argv into a Chain. argv is the command as the
// launcher expanded it: its arguments may contain spaces.
func ParseCommand(argv []string) (Chain, error) {
	var c Chain
	if len(argv) == 0 {
		return c, fmt.Errorf("empty command: pass the game's command after \"--\"")
	}
	rest := argv
	// shim is umu's shim, which runs proton inside the runtime and so
	// stays with it in the sandbox.
	var shim []string
	for len(rest) > 0 {
		switch base := filepath.Base(rest[0]); base {
		case "steam-launch-wrapper", "reaper":
			part, after, err := throughSeparator(rest)
			if err != nil {
				return c, err
			}
			if base == "reaper" {
				for _, a := range part[1 : len(part)-1] {
					if v, ok := strings.CutPrefix(a, "AppId="); ok {
						c.AppID = v
					}
					if a == "Install=1" {
						c.Install = true
					}
				}
			}
			c.Outer = append(c.Outer, part)
			rest = after
		case "_v2-entry-point", "umu":
			if c.Runtime != nil {
				return c, fmt.Errorf("the command names two Steam Linux Runtime entry points: %s", rest[0])
			}
			part, after, err := throughSeparator(rest)
			if err != nil {
				return c, err
			}
			c.Runtime = part
			rest = after
		case "umu-shim":
			if shim != nil {
				return c, fmt.Errorf("the command names umu-shim twice")
			}
			shim = rest[:1]
			rest = rest[1:]
		case "proton":
			if len(rest) < 2 || !ProtonVerbs[rest[1]] {
				return c, fmt.Errorf("%s is not followed by a proton verb (run, waitforexitandrun, getcompatpath, ...)", rest[0])
			}
			c.Proton, c.Verb, c.Target = rest[0], rest[1], append(slices.Clone(shim), rest...)
			return c, nil
		default:
			c.Target = append(slices.Clone(shim), rest...)
			return c, nil
		}
	}
	return c, fmt.Errorf("the command %q names wrappers but nothing for them to run", strings.Join(argv, " "))
}

// throughSeparator returns argv up to and including its first "--", and
// what follows it.
func throughSeparator(argv []string) (part, after []string, err error) {
	for i, a := range argv {
		if a == "--" {
			return argv[:i+1], argv[i+1:], nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no \"--\" ends its arguments, so the command it runs cannot be found", argv[0])
}

// GameArgs returns the game's command: what follows the proton verb, or
// the whole target without proton.
func (c Chain) GameArgs() []string {
	if c.Proton == "" {
		return c.Target
	}
	i := slices.Index(c.Target, c.Proton)
	return c.Target[i+2:]
}

// GameExe returns the game's program, the first word of GameArgs, or "".
func (c Chain) GameExe() string {
	if args := c.GameArgs(); len(args) > 0 {
		return args[0]
	}
	return ""
}
