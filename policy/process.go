package policy

import (
	"path"
	"strings"
)

// ShellPatterns name the shells and script interpreters that
// allow_shell_execution = false keeps away from a game's Windows programs,
// matched like the [process] patterns.
var ShellPatterns = []string{
	"sh", "bash", "dash", "ash", "zsh", "fish", "ksh", "mksh", "csh", "tcsh", "busybox",
	"python*", "perl", "perl5*", "ruby", "ruby[0-9]*", "node", "nodejs",
	"cmd.exe", "powershell.exe", "pwsh", "pwsh.exe", "wscript.exe", "cscript.exe", "mshta.exe",
}

// Rules reported in ExecDecision.Rule.
const (
	RuleBlockedPattern = "process.blocked_patterns"
	RuleAllowedPattern = "process.allowed_patterns"
	RuleShell          = "process.allow_shell_execution"
)

// ExecRequest describes one program start for DecideExec.
type ExecRequest struct {
	// LinuxPath is the file passed to execve.
	LinuxPath string
	// Interpreters are the programs named by the file's "#!" line and by
	// any script that line names in turn, outermost last.
	Interpreters []string
	// WindowsImage is the Windows program a Wine loader is asked to run,
	// such as C:\windows\system32\cmd.exe; empty for other programs.
	WindowsImage string
	// UnderWindows is set when the calling process or one of its ancestors
	// runs a Windows program.
	UnderWindows bool
	// WineScript is set for a script that Wine itself starts from its own
	// installation directory, such as Debian's wineserver wrapper. Its
	// interpreter is then not counted as a shell, because the game chose
	// neither the script nor its code.
	WineScript bool
}

// ExecDecision is the verdict on one program start.
type ExecDecision struct {
	Allow bool
	// Rule is the setting that decided, empty when no rule matched.
	Rule string
	// Pattern is the pattern that matched, and Name the program name it
	// matched.
	Pattern string
	Name    string
}

// DecideExec applies [process] to one program start. The order is:
//
//  1. blocked_patterns: a match against any name of the program (Linux
//     basename, Windows image basename, interpreter basename) denies it,
//     whatever else matches.
//  2. allowed_patterns: a match allows the program even when step 3 would
//     deny it.
//  3. allow_shell_execution = false denies a shell or script interpreter
//     (ShellPatterns) started by a Windows program or anything below one.
//     The launcher chain before the first Windows program is not affected.
//  4. Everything else is allowed.
//
// Matching is case-insensitive path.Match on basenames. A Windows name
// without an extension is also tried with ".exe" appended, as Windows
// would start it.
func DecideExec(p Process, req ExecRequest) ExecDecision {
	names := programNames(req, true)
	if pattern, name, ok := matchAny(p.BlockedPatterns, names); ok {
		return ExecDecision{Rule: RuleBlockedPattern, Pattern: pattern, Name: name}
	}
	if pattern, name, ok := matchAny(p.AllowedPatterns, names); ok {
		return ExecDecision{Allow: true, Rule: RuleAllowedPattern, Pattern: pattern, Name: name}
	}
	if req.UnderWindows && !p.AllowShellExecution {
		if pattern, name, ok := matchAny(ShellPatterns, programNames(req, !req.WineScript)); ok {
			return ExecDecision{Rule: RuleShell, Pattern: pattern, Name: name}
		}
	}
	return ExecDecision{Allow: true}
}

// programNames lists the lower-case basenames a program is known by.
func programNames(req ExecRequest, withInterpreters bool) []string {
	var names []string
	add := func(name string) {
		if name != "" && name != "." && name != "/" {
			names = append(names, strings.ToLower(name))
		}
	}
	add(path.Base(req.LinuxPath))
	if req.WindowsImage != "" {
		base := WindowsBase(req.WindowsImage)
		add(base)
		if !strings.Contains(base, ".") {
			add(base + ".exe")
		}
	}
	if withInterpreters {
		for _, interp := range req.Interpreters {
			add(path.Base(interp))
		}
	}
	return names
}

// WindowsBase returns the last element of a Windows or Unix path.
func WindowsBase(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	// A drive-relative name such as C:game.exe.
	if len(p) > 2 && p[1] == ':' {
		return p[2:]
	}
	return p
}

func matchAny(patterns, names []string) (pattern, name string, ok bool) {
	for _, pat := range patterns {
		lower := strings.ToLower(pat)
		for _, n := range names {
			if matched, err := path.Match(lower, n); err == nil && matched {
				return pat, n, true
			}
		}
	}
	return "", "", false
}
