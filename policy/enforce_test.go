package policy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestNotEnforcedDefault(t *testing.T) {
	if got := NotEnforced(Default()); len(got) != 0 {
		t.Errorf("NotEnforced(Default()) = %q, want nothing", got)
	}
	c := Default()
	c.WineWarden.NoPromptsDuringGameplay = false
	want := []string{"winewarden.no_prompts_during_gameplay = false"}
	if got := NotEnforced(c); !reflect.DeepEqual(got, want) {
		t.Errorf("NotEnforced() =\n%q\nwant\n%q", got, want)
	}
}

func TestNotEnforcedOmitsNetwork(t *testing.T) {
	for _, mode := range networkModes {
		for _, dnsAwareness := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s dns_awareness=%v", mode, dnsAwareness), func(t *testing.T) {
				c := Default()
				c.Network.Mode = mode
				c.Network.DNSAwareness = dnsAwareness
				for _, s := range NotEnforced(c) {
					if strings.HasPrefix(s, "network.") {
						t.Errorf("NotEnforced() lists %q, but every [network] setting is enforced", s)
					}
				}
			})
		}
	}
}

func TestNotEnforcedFormatsValues(t *testing.T) {
	c := Default()
	c.SacredZones[0].Action = "read-only"

	got := append(NotEnforced(c), setting("list", []string{"cmd.exe", `a"b\c`, "tab\there"}))
	wantIn := []string{
		`list = ["cmd.exe", "a\"b\\c", "tab\u0009here"]`,
		`sacred_zones.action = "read-only" for ~/.ssh (hidden, as with "deny")`,
	}
	for _, want := range wantIn {
		found := false
		for _, s := range got {
			found = found || s == want
		}
		if !found {
			t.Errorf("NotEnforced() = %q, want it to contain %q", got, want)
		}
	}
}

func TestNotEnforcedIsValidTOML(t *testing.T) {
	c := Default()
	c.Trust.DefaultTier = "a\x01b é \\*"
	c.Network.Mode = "restrict"
	for _, line := range append(NotEnforced(c), setting("list", []string{"a\x01b", "é", `\*`})) {
		var doc map[string]any
		if err := toml.Unmarshal([]byte(line), &doc); err != nil {
			t.Errorf("line %q is not valid TOML: %v", line, err)
		}
	}
}
