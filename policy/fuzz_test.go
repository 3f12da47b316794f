package policy

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error names the file
// and that everything it accepts passes Validate.
func FuzzParse(f *testing.F) {
	f.Add(DefaultFile)
	f.Add([]byte("process = { max_childs = 3 }\n"))
	f.Add([]byte("sacred_zones = [{ path = \"/a\", lable = 1 }, 2]\n"))
	f.Add([]byte("[[sacred_zones]]\npath = \"~/.ssh/\"\naction = \"read-only\"\n"))
	f.Add([]byte("[winewarden.enabled]\n[[network]]\n"))
	f.Add([]byte("\"a.b\".c = 1\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.toml")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.toml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate rejects: %v", err)
		}
	})
}
