package policy

import (
	"fmt"
	"slices"
	"strings"
)

// NotEnforced lists the settings that this version parses and validates but
// does not act on yet, each as "key = value" with the value in TOML syntax,
// sorted. The caller shows them so that a user does not mistake such a
// setting for protection.
func NotEnforced(c Config) []string {
	var settings []string
	// WineWarden shows no prompts while a game runs, so only turning the
	// setting off requests something this version does not do.
	if !c.WineWarden.NoPromptsDuringGameplay {
		settings = append(settings, setting("winewarden.no_prompts_during_gameplay", false))
	}
	// The sandbox hides every sacred zone, so "redirect" and "read-only"
	// act like "deny": stricter than asked, but not what was asked.
	for _, z := range c.SacredZones {
		if z.Action != "deny" {
			settings = append(settings, fmt.Sprintf("sacred_zones.action = %s for %s (hidden, as with \"deny\")", tomlString(z.Action), z.Path))
		}
	}
	slices.Sort(settings)
	return settings
}

// setting formats key = value in TOML syntax for the types Config uses.
func setting(key string, value any) string {
	return key + " = " + tomlValue(value)
}

func tomlValue(value any) string {
	switch v := value.(type) {
	case string:
		return tomlString(v)
	case []string:
		quoted := make([]string, len(v))
		for i, s := range v {
			quoted[i] = tomlString(s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	default:
		return fmt.Sprint(v)
	}
}

// tomlString quotes s as a TOML basic string. Unlike Go's %q it never
// writes \x escapes, which TOML does not have.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
