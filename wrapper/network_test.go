//go:build linux

package wrapper

import (
	"strings"
	"testing"

	"github.com/winewarden/winewarden/policy"
)

func TestDescribeNetworkRestrict(t *testing.T) {
	cfg := policy.Default().Network
	cfg.Mode = "restrict"
	cfg.DNSServers = []string{"127.0.0.1:5353"}
	lines := strings.Join(describeNetwork(cfg), "\n")
	for _, want := range []string{"mode restrict", "0 domain entries", "every port", "the allowlist is empty", "[127.0.0.1:5353]"} {
		if !strings.Contains(lines, want) {
			t.Errorf("doctor lines lack %q:\n%s", want, lines)
		}
	}
}

func TestDescribeNetworkObserveWithoutForwarder(t *testing.T) {
	cfg := policy.Default().Network
	cfg.DNSAwareness = false
	lines := strings.Join(describeNetwork(cfg), "\n")
	if !strings.Contains(lines, "host's resolvers directly") {
		t.Errorf("doctor lines do not say DNS bypasses the forwarder:\n%s", lines)
	}
	if strings.Contains(lines, "allowlist") {
		t.Errorf("observe mode described with an allowlist:\n%s", lines)
	}
}

func TestDescribeNetworkOffline(t *testing.T) {
	cfg := policy.Default().Network
	cfg.Mode = "offline"
	lines := strings.Join(describeNetwork(cfg), "\n")
	if !strings.Contains(lines, "DNS fails at once") {
		t.Errorf("offline mode lines lack the DNS note:\n%s", lines)
	}
}
