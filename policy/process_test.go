package policy

import "testing"

func TestDecideExec(t *testing.T) {
	base := Default().Process
	allowPython := base
	allowPython.AllowedPatterns = []string{"python3*"}
	blockBoth := base
	blockBoth.AllowedPatterns = []string{"steamcmd*"}
	blockBoth.BlockedPatterns = []string{"STEAMCMD.exe"}
	shellsOK := base
	shellsOK.AllowShellExecution = true

	tests := []struct {
		name    string
		process Process
		req     ExecRequest
		allow   bool
		rule    string
	}{
		{"launcher shell script", base, ExecRequest{LinuxPath: "/usr/bin/wine", Interpreters: []string{"/bin/sh"}}, true, ""},
		{"game exe", base, ExecRequest{LinuxPath: "/usr/lib/wine/wine64", WindowsImage: "/games/x/game.exe"}, true, ""},
		{"cmd.exe from a game", base, ExecRequest{LinuxPath: "/usr/lib/wine/wine64", WindowsImage: `C:\windows\system32\cmd.exe`, UnderWindows: true}, false, RuleShell},
		{"cmd without extension", base, ExecRequest{LinuxPath: "/usr/lib/wine/wine64", WindowsImage: "cmd", UnderWindows: true}, false, RuleShell},
		{"upper-case POWERSHELL", base, ExecRequest{LinuxPath: "/usr/lib/wine/wine64", WindowsImage: `C:\X\POWERSHELL.EXE`, UnderWindows: true}, false, RuleShell},
		{"start /unix /bin/sh", base, ExecRequest{LinuxPath: "/prefix/dosdevices/z:/bin/sh", UnderWindows: true}, false, RuleShell},
		{"python3.11 from a game", base, ExecRequest{LinuxPath: "/usr/bin/python3.11", UnderWindows: true}, false, RuleShell},
		{"script run by sh", base, ExecRequest{LinuxPath: "/usr/bin/xdg-open", Interpreters: []string{"/bin/sh"}, UnderWindows: true}, false, RuleShell},
		{"Wine's own wineserver script", base, ExecRequest{LinuxPath: "/usr/lib/wine/wineserver", Interpreters: []string{"/bin/sh"}, UnderWindows: true, WineScript: true}, true, ""},
		{"Wine script named like a shell", base, ExecRequest{LinuxPath: "/usr/lib/wine/bash", Interpreters: []string{"/bin/sh"}, UnderWindows: true, WineScript: true}, false, RuleShell},
		{"non-shell from a game", base, ExecRequest{LinuxPath: "/usr/lib/wine/wineserver64", UnderWindows: true}, true, ""},
		{"allowed pattern lifts the shell rule", allowPython, ExecRequest{LinuxPath: "/usr/bin/python3.11", UnderWindows: true}, true, RuleAllowedPattern},
		{"blocked wins over allowed", blockBoth, ExecRequest{LinuxPath: "/usr/lib/wine/wine64", WindowsImage: `C:\steam\steamcmd.exe`}, false, RuleBlockedPattern},
		{"blocked applies before any Windows program", blockBoth, ExecRequest{LinuxPath: "/opt/steamcmd.exe"}, false, RuleBlockedPattern},
		{"shells allowed by config", shellsOK, ExecRequest{LinuxPath: "/bin/bash", UnderWindows: true}, true, ""},
		{"a pattern never matches a directory", blockBoth, ExecRequest{LinuxPath: "/steamcmd.exe/tool"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecideExec(tt.process, tt.req)
			if got.Allow != tt.allow || got.Rule != tt.rule {
				t.Errorf("DecideExec = allow %v rule %q (pattern %q, name %q), want allow %v rule %q",
					got.Allow, got.Rule, got.Pattern, got.Name, tt.allow, tt.rule)
			}
		})
	}
}

func TestWindowsBase(t *testing.T) {
	for in, want := range map[string]string{
		`C:\windows\system32\cmd.exe`: "cmd.exe",
		`Z:/games/x/game.exe`:         "game.exe",
		`C:game.exe`:                  "game.exe",
		`game.exe`:                    "game.exe",
		`C:\dir\`:                     "",
	} {
		if got := WindowsBase(in); got != want {
			t.Errorf("WindowsBase(%q) = %q, want %q", in, got, want)
		}
	}
}
