package policy

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Limits for process.max_child_processes. The maximum is a sanity bound, not
// a measured one.
const (
	minChildProcesses = 1
	maxChildProcesses = 100000
)

// Limits for network.connection_rate_limit and
// network.max_unique_destinations, also sanity bounds.
const (
	minConnectionRate = 1
	maxConnectionRate = 1000000

	minUniqueDestinations = 1
	maxUniqueDestinations = 1000000
)

// Validate checks every value against the values it allows. The returned
// error joins one error per invalid value, each naming the key, the value and
// what is allowed.
func (c Config) Validate() error {
	return errors.Join(c.problems()...)
}

func (c Config) problems() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	add(checkOneOf("trust.default_tier", c.Trust.DefaultTier, tiers))
	if c.Trust.PromotionAfterRuns < 1 {
		add(fmt.Errorf("trust.promotion_after_runs = %d is invalid: use a number of runs of at least 1",
			c.Trust.PromotionAfterRuns))
	}

	for i, pattern := range c.Process.AllowedPatterns {
		add(checkPattern(fmt.Sprintf("process.allowed_patterns[%d]", i), pattern))
	}
	for i, pattern := range c.Process.BlockedPatterns {
		add(checkPattern(fmt.Sprintf("process.blocked_patterns[%d]", i), pattern))
	}
	if n := c.Process.MaxChildProcesses; n < minChildProcesses || n > maxChildProcesses {
		add(fmt.Errorf("process.max_child_processes = %d is out of range: use a value from %d to %d",
			n, minChildProcesses, maxChildProcesses))
	}

	add(checkOneOf("network.mode", c.Network.Mode, networkModes))
	if n := c.Network.ConnectionRateLimit; n < minConnectionRate || n > maxConnectionRate {
		add(fmt.Errorf("network.connection_rate_limit = %d is out of range: use a value from %d to %d attempts per second",
			n, minConnectionRate, maxConnectionRate))
	}
	_, allowlistErrs := compileNetworkRules(c.Network)
	errs = append(errs, allowlistErrs...)
	_, serverErrs := parseDNSServers(c.Network.DNSServers)
	errs = append(errs, serverErrs...)
	if n := c.Network.MaxUniqueDestinations; n < minUniqueDestinations || n > maxUniqueDestinations {
		add(fmt.Errorf("network.max_unique_destinations = %d is out of range: use a value from %d to %d destinations per session",
			n, minUniqueDestinations, maxUniqueDestinations))
	}

	errs = append(errs, c.Tiers.problems()...)
	for _, zone := range c.SacredZones {
		add(zone.check())
	}
	return errs
}

func checkOneOf(key, value string, allowed []string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return fmt.Errorf("%s = %q is invalid: use %s", key, value, quoteChoices(allowed))
}

func checkPattern(key, pattern string) error {
	// path.Match reports a malformed pattern whatever the name it is given.
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("%s = %q is not a valid path.Match pattern: look for an unclosed \"[\" or a trailing \"\\\"",
			key, pattern)
	}
	// Patterns are matched against file names, so one with a directory
	// separator, or an empty one, would never match anything.
	if pattern == "" || strings.Contains(pattern, "/") || hasWindowsSeparator(pattern) {
		return fmt.Errorf("%s = %q never matches: patterns are compared with file names only, such as \"hello.exe\" or \"python*\"",
			key, pattern)
	}
	return nil
}

// hasWindowsSeparator reports a backslash that is not a path.Match escape
// of a special character, as in C:\games\game.exe.
func hasWindowsSeparator(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '\\' {
			continue
		}
		if i+1 < len(pattern) && strings.IndexByte(`*?[]\\-^`, pattern[i+1]) >= 0 {
			i++
			continue
		}
		return true
	}
	return false
}

// check validates one sacred zone. Errors name the zone by its path, because
// after merging with the built-in zones a position in the file no longer
// identifies it.
func (z SacredZone) check() error {
	if z.Path == "" {
		return fmt.Errorf("sacred_zones entry %q has no path: set path to an absolute path or one starting with \"~/\"",
			z.Label)
	}

	where := fmt.Sprintf("sacred_zones entry with path %q", z.Path)
	if !strings.HasPrefix(z.Path, "/") && !strings.HasPrefix(z.Path, "~/") {
		return fmt.Errorf("%s: the path is invalid: make it absolute or start it with \"~/\" for your home", where)
	}

	parent, last := path.Split(path.Clean(z.Path))
	if strings.Contains(parent, "*") {
		return fmt.Errorf("%s: only the last path element may contain \"*\": list each directory as its own entry", where)
	}
	if strings.Contains(last, "*") {
		if err := checkPattern("its last element", last); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}

	return checkOneOf(where+": action", z.Action, zoneActions)
}

// quoteChoices formats allowed values as `"a", "b" or "c"`.
func quoteChoices(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}
