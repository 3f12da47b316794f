//go:build linux

package wrapper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetTOMLString(t *testing.T) {
	cases := []struct{ name, before, after string }{
		{"new file", "", "[steam]\nproton = \"GE-Proton9-20\"\n"},
		{"no table", "# mine\n[network]\nmode = \"observe\"\n",
			"# mine\n[network]\nmode = \"observe\"\n\n[steam]\nproton = \"GE-Proton9-20\"\n"},
		{"key replaced", "[steam] # the tool\nproton = \"Proton 8.0\"  # old\n[network]\nmode = \"offline\"\n",
			"[steam] # the tool\nproton = \"GE-Proton9-20\"\n[network]\nmode = \"offline\"\n"},
		{"key added", "[steam]\n\n[network]\nmode = \"offline\"\n",
			"[steam]\nproton = \"GE-Proton9-20\"\n\n[network]\nmode = \"offline\"\n"},
		{"other table's key kept", "[network]\nmode = \"offline\"\n[steam]\n",
			"[network]\nmode = \"offline\"\n[steam]\nproton = \"GE-Proton9-20\"\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "games", "steam-70.toml")
			if tc.before != "" {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := setTOMLString(path, "steam", "proton", "GE-Proton9-20"); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.after {
				t.Errorf("file:\n%s\nwant:\n%s", got, tc.after)
			}
		})
	}
}

func TestSetTOMLStringKeepsInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	before := "[network]\nmode = \"everything\"\n"
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	err := setTOMLString(path, "steam", "proton", "Proton 9.0")
	if err == nil || !strings.Contains(err.Error(), "left as it is") {
		t.Errorf("an invalid config gave %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != before {
		t.Errorf("the invalid file changed:\n%s", got)
	}
}
