package audit

import (
	"reflect"
	"strings"
	"testing"
)

func TestRedactorRedact(t *testing.T) {
	alice := Redactor{Home: "/home/alice", User: "alice"}
	tests := []struct {
		name string
		r    Redactor
		in   string
		want string
	}{
		{"home exactly", alice, "/home/alice", "~"},
		{"home with trailing slash", alice, "/home/alice/", "~/"},
		{"path below home", alice, "/home/alice/.ssh/id_rsa", "~/.ssh/id_rsa"},
		{"home in a sentence", alice, "cannot open /home/alice/g/game.exe: denied", "cannot open ~/g/game.exe: denied"},
		{"home before a full stop", alice, "the install dir must not be /home/alice.", "the install dir must not be ~."},
		{"home twice", alice, "bind /home/alice <- /home/alice/.local/share/ww/home", "bind ~ <- ~/.local/share/ww/home"},
		{"home in a list", alice, "PATH=/usr/bin:/home/alice/bin", "PATH=/usr/bin:~/bin"},
		{"prefix of another user", alice, "/home/alicex/file", "/home/alicex/file"},
		{"home with a suffix", alice, "/home/alice.bak/file", "/home/alice.bak/file"},
		{"home under another dir", alice, "/mnt/home/alice/x", "/mnt/home/<user>/x"},
		{"Z drive upper case", alice, `Z:\home\alice\Games\game.exe`, `~\Games\game.exe`},
		{"z drive lower case", alice, `z:\home\alice\Games`, `~\Games`},
		{"Z drive mixed case path", alice, `Z:\HOME\Alice\Games`, `~\Games`},
		{"Z drive forward slashes", alice, "Z:/home/alice/save.dat", "~/save.dat"},
		{"Z drive other user", alice, `Z:\home\alicex\x`, `Z:\home\alicex\x`},
		{"unix namespace", alice, `\\?\unix\home\alice\Games\game.exe`, `~\Games\game.exe`},
		{"NT unix namespace", alice, `\??\unix\home\alice\x`, `~\x`},
		{"long path Z drive", alice, `\\?\Z:\home\alice\save`, `~\save`},
		{"bare backslash home", alice, `\home\alice\x`, `~\x`},
		{"dosdevices link", alice, "/home/alice/.wine/dosdevices/z:/home/alice/x", "~/.wine/dosdevices/z:~/x"},
		{"Wine user folder", alice, `C:\users\alice\Documents\My Games`, `C:\users\<user>\Documents\My Games`},
		{"Wine user folder any case", alice, `c:\Users\ALICE\AppData`, `c:\Users\<user>\AppData`},
		{"drive_c user folder", alice, "/srv/pfx/drive_c/users/alice/AppData", "/srv/pfx/drive_c/users/<user>/AppData"},
		{"user folder exactly", alice, `C:\users\alice`, `C:\users\<user>`},
		{"user folder of another user", alice, `C:\users\alicex\AppData`, `C:\users\alicex\AppData`},
		{"user folder steamuser", alice, `C:\users\steamuser\AppData`, `C:\users\steamuser\AppData`},
		{"bare user name", alice, "alice started the game", "alice started the game"},
		{"home elsewhere", Redactor{Home: "/var/home/alice", User: "alice"}, "/home/alice/x and /var/home/alice/y", "/home/<user>/x and ~/y"},
		{"short user name", Redactor{Home: "/home/wine", User: "wine"}, "/usr/bin/wine /usr/lib/wine/wine64 /home/wine/g", "/usr/bin/wine /usr/lib/wine/wine64 ~/g"},
		{"short user name in Windows path", Redactor{Home: "/home/wine", User: "wine"}, `C:\windows\wine.inf C:\users\wine\x`, `C:\windows\wine.inf C:\users\<user>\x`},
		{"one letter user", Redactor{Home: "/home/a", User: "a"}, "/home/a/x /home/ab /usr/a", "~/x /home/ab /usr/a"},
		{"empty home", Redactor{User: "alice"}, "/home/alice/x", "/home/<user>/x"},
		{"empty user", Redactor{Home: "/home/alice"}, `/home/alice/x C:\users\alice`, `~/x C:\users\alice`},
		{"root home ignored", Redactor{Home: "/"}, "/usr/bin", "/usr/bin"},
		{"relative home ignored", Redactor{Home: "alice"}, "alice/x", "alice/x"},
		{"home not clean", Redactor{Home: "/home//alice/"}, "/home/alice/x", "~/x"},
		{"zero value", Redactor{}, "/home/alice", "/home/alice"},
		{"unicode around", alice, "é/home/alice/x /home/alice/ü", "é/home/<user>/x ~/ü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactorReportEveryString fills every string of a Report, in every
// nested struct, list, pointer and map key, with a path under the home and
// checks that no string keeps the user name. A new field in Report is
// covered without changing the test.
func TestRedactorReportEveryString(t *testing.T) {
	const raw = "/home/alice/x C:\\users\\alice"
	var rep Report
	fillStrings(reflect.ValueOf(&rep).Elem(), raw)

	got := Redactor{Home: "/home/alice", User: "alice"}.Report(rep)

	strs := 0
	walkStrings(reflect.ValueOf(got), func(s string) {
		strs++
		if strings.Contains(s, "alice") {
			t.Errorf("string %q not redacted", s)
		}
	})
	if strs < 50 {
		t.Errorf("walked only %d strings; the fill did not reach the report's fields", strs)
	}
	walkStrings(reflect.ValueOf(rep), func(s string) {
		if s != raw {
			t.Errorf("the input report was changed: %q", s)
		}
	})
}

func TestRedactorReportMapKeys(t *testing.T) {
	m := map[string][]string{"/home/alice/a": {"/home/alice/b"}}
	got := Redactor{Home: "/home/alice"}.copyValue(reflect.ValueOf(m)).Interface().(map[string][]string)
	if len(got) != 1 || got["~/a"] == nil || got["~/a"][0] != "~/b" {
		t.Errorf("redacted map %v, want map[~/a:[~/b]]", got)
	}
}

func TestRedactorReportKeepsEmptyLists(t *testing.T) {
	got := Redactor{Home: "/home/alice", User: "alice"}.Report(BuildReport(nil))
	if got.Layers == nil || got.Programs == nil || got.Network.Destinations == nil {
		t.Error("redaction turned empty lists into nil, which encodes as null")
	}
}

// fillStrings sets every string reachable from v to s, and makes each list, map
// and pointer hold one element.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillStrings(v.Elem(), s)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillStrings(v.Index(0), s)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		key := reflect.New(v.Type().Key()).Elem()
		fillStrings(key, s)
		val := reflect.New(v.Type().Elem()).Elem()
		fillStrings(val, s)
		v.SetMapIndex(key, val)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	}
}

func walkStrings(v reflect.Value, visit func(string)) {
	switch v.Kind() {
	case reflect.String:
		visit(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), visit)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			walkStrings(iter.Key(), visit)
			walkStrings(iter.Value(), visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), visit)
			}
		}
	}
}
