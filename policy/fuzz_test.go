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
	f.Add([]byte("[network]\nallowed_domains = [\"*.\"]\nallowed_cidrs = [\"::ffff:1.2.3.4\"]\nallowed_ports = [0, \"1\"]\n"))

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

// FuzzAllowedDomain checks that an accepted allowed_domains entry allows the
// names it describes, that matching ignores ASCII case and one trailing dot,
// and that no entry or name makes the code panic.
func FuzzAllowedDomain(f *testing.F) {
	f.Add("example.com", "www.example.com")
	f.Add("*.example.com", "a.b.example.com")
	f.Add("*.example.com", "example.com")
	f.Add("Example.COM.", "example.com..")
	f.Add("*.", ".")
	f.Add("a..b", "a.\u212ab")

	f.Fuzz(func(t *testing.T, entry, name string) {
		rules, err := CompileNetworkRules(Network{AllowedDomains: []string{entry}})
		if err != nil {
			return
		}

		// The entry itself, written differently, must be allowed.
		described := strings.TrimSuffix(entry, ".")
		if rest, ok := strings.CutPrefix(described, "*."); ok {
			described = "x." + rest
		}
		for _, variant := range []string{described, described + ".", strings.ToUpper(described)} {
			if !rules.DomainAllowed(variant) {
				t.Fatalf("entry %q does not allow %q", entry, variant)
			}
		}

		allowed := rules.DomainAllowed(name)
		if !strings.HasSuffix(name, ".") && rules.DomainAllowed(name+".") != allowed {
			t.Fatalf("entry %q: DomainAllowed(%q) = %v but a trailing dot changes it", entry, name, allowed)
		}
		if rules.DomainAllowed(asciiUpper(name)) != allowed {
			t.Fatalf("entry %q: DomainAllowed(%q) = %v but ASCII upper case changes it", entry, name, allowed)
		}
	})
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, s)
}
