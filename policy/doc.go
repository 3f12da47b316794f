// Package policy reads WineWarden's configuration file and makes the
// decisions that follow from it, such as which host paths a game must never
// reach.
//
// It exists so that every decision taken from user settings is a pure
// function, testable without a kernel, Wine or a real home directory. The
// wrapper calls Load once in the parent process, before anything forks, and
// passes the validated Config on. The only I/O here is reading and writing the
// configuration file itself (Load and WriteDefault).
//
// The file lives at $XDG_CONFIG_HOME/winewarden/config.toml; the caller
// computes that path. DefaultFile documents every key. A key missing from the
// file keeps its default value, and an unknown key or a value of the wrong
// type is an error that names the file, the line and the dotted key.
//
// Sacred zones are host paths the game must never reach. A built-in list
// (secrets, browser profiles, wallets, launcher credentials, shell startup
// files, autostart entries and WineWarden's own config) is always in force.
// [[sacred_zones]] entries in the file add to it, and Parse documents how an
// entry overrides a built-in zone.
//
// In restrict mode the game may reach only what [network] allows.
// CompileNetworkRules turns allowed_domains, allowed_cidrs and allowed_ports
// into NetworkRules, whose methods decide one DNS name, address or port at a
// time. Tracking which addresses an allowed DNS answer produced is left to
// the caller.
//
// Each trust tier has a profile ([tiers.red], [tiers.yellow], [tiers.green])
// that changes a few [process] and [network] settings and picks the
// filesystem profile. Resolve applies the profile of a run's tier. No
// profile key reaches the sacred zones, so no tier can relax them.
//
// The path functions (Within, Zone.Matches, CheckBindSource) compare paths
// lexically and never touch the filesystem. Callers must resolve symbolic
// links (filepath.EvalSymlinks) before asking, because a symlink to ~/.ssh
// looks harmless to a lexical comparison.
package policy
