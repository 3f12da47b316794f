package supervisor

import (
	"reflect"
	"testing"
)

func TestWindowsImage(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		args   []string
		script bool
		want   string
	}{
		{"Debian loader", "/usr/lib/wine/wine64", []string{"wine64", "game.exe", "-x"}, false, "game.exe"},
		{"preloader passes the loader on", "/usr/lib/wine/wine64-preloader", []string{"/usr/lib/wine/wine64-preloader", "/usr/lib/wine/wine64", `C:\windows\system32\cmd.exe`}, false, `C:\windows\system32\cmd.exe`},
		{"Proton's files/bin/wine", "/steam/Proton 9.0/files/bin/wine", []string{"wine", `C:\game\game.exe`}, false, `C:\game\game.exe`},
		{"loader option", "/usr/bin/wine64", []string{"wine64", "--version"}, false, ""},
		{"no argument", "/usr/bin/wine", []string{"wine"}, false, ""},
		{"empty argv", "/usr/bin/wine", nil, false, ""},
		{"script named like the loader", "/usr/bin/wine", []string{"wine", "game.exe"}, true, ""},
		{"other program", "/usr/bin/env", []string{"env", "game.exe"}, false, ""},
		{"bare name game.exe after a loader name", "/usr/lib/wine/wine64", []string{"wine64", "wine", "game.exe"}, false, "wine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := windowsImage(tt.path, tt.args, tt.script); got != tt.want {
				t.Errorf("windowsImage(%q, %q) = %q, want %q", tt.path, tt.args, got, tt.want)
			}
		})
	}
}

func TestParseShebang(t *testing.T) {
	tests := []struct {
		head string
		want shebang
		ok   bool
	}{
		{"#!/bin/sh -e\nexec x", shebang{"/bin/sh", "-e"}, true},
		{"#!/usr/bin/env python3\n", shebang{"/usr/bin/env", "python3"}, true},
		{"#! /bin/bash\n", shebang{"/bin/bash", ""}, true},
		{"#!/bin/sh\t-x  \n", shebang{"/bin/sh", "-x"}, true},
		{"#!/usr/bin/env -S a b\n", shebang{"/usr/bin/env", "-S a b"}, true},
		{"#!\n", shebang{}, false},
		{"\x7fELF\x02\x01", shebang{}, false},
		{"", shebang{}, false},
	}
	for _, tt := range tests {
		got, ok := parseShebang([]byte(tt.head))
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseShebang(%q) = %+v, %v; want %+v, %v", tt.head, got, ok, tt.want, tt.ok)
		}
	}
}

func TestScriptArgv(t *testing.T) {
	got := scriptArgv(shebang{"/bin/sh", "-e"}, "/usr/bin/wine", []string{"wine", "game.exe"})
	want := []string{"/bin/sh", "-e", "/usr/bin/wine", "game.exe"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scriptArgv = %q, want %q", got, want)
	}
	got = scriptArgv(shebang{"/bin/sh", ""}, "./x", nil)
	if want := []string{"/bin/sh", "./x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("scriptArgv with no arguments = %q, want %q", got, want)
	}
}

func FuzzParseShebang(f *testing.F) {
	f.Add([]byte("#!/bin/sh -e\n"))
	f.Add([]byte("#!\t\t\n"))
	f.Add([]byte("#!/a\tb c\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		sb, ok := parseShebang(head)
		if ok && sb.Interpreter == "" {
			t.Errorf("parseShebang(%q) accepted an empty interpreter", head)
		}
	})
}
