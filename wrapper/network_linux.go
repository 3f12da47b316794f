//go:build linux

package wrapper

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/supervisor"
	"github.com/winewarden/winewarden/supervisor/dnsforward"
)

// hostResolvConf is the path of glibc's resolver configuration.
const hostResolvConf = "/etc/resolv.conf"

// sandboxResolvConf replaces the host's resolver configuration inside the
// sandbox. The address does not matter: the supervisor sends every query
// to port 53 to its forwarder. use-vc makes glibc ask over TCP, because
// glibc drops a UDP answer that comes from another address than the one
// it asked, and a redirected answer does.
var sandboxResolvConf = []byte(`# Written by WineWarden. The sandbox's DNS queries go to its own forwarder,
# whatever server is named here.
nameserver 127.0.0.53
options use-vc
`)

// networkSetup is the network side of one session: the mode, the DNS
// forwarder and the supervisor's network policy.
type networkSetup struct {
	mode      string
	config    supervisor.NetworkConfig
	forwarder *dnsforward.Forwarder
	// resolvConf is the host file shown at resolvTarget in the sandbox,
	// or "" when the sandbox keeps the host's.
	resolvConf, resolvTarget string
	// current is the supervisor that receives the forwarder's reports.
	current atomic.Pointer[supervisor.Supervisor]
}

// setupNetwork starts the DNS forwarder that mode needs and writes the
// sandbox's resolv.conf under dataHome ($XDG_DATA_HOME/winewarden).
func setupNetwork(mode string, cfg policy.Network, dataHome string, log *slog.Logger) (*networkSetup, error) {
	rules, err := policy.CompileNetworkRules(cfg)
	if err != nil {
		return nil, err
	}
	n := &networkSetup{mode: mode, config: supervisor.NetworkConfig{
		Mode: mode, Rules: rules, MaxUniqueDestinations: cfg.MaxUniqueDestinations,
	}}
	wantForwarder := mode == supervisor.ModeRestrict || (mode == supervisor.ModeObserve && cfg.DNSAwareness)
	if wantForwarder {
		upstreams, err := dnsUpstreams(cfg.DNSServers)
		if err != nil {
			return nil, err
		}
		var allow func(string) bool
		if mode == supervisor.ModeRestrict {
			allow = rules.DomainAllowed
		}
		n.forwarder, err = dnsforward.Start(dnsforward.Config{
			Upstreams: upstreams, Allow: allow, Observe: n.observe, Logger: log.With("component", "dns"),
		})
		if err != nil {
			return nil, fmt.Errorf("starting the DNS forwarder: %w", err)
		}
		n.config.DNSUDP, n.config.DNSTCP = n.forwarder.UDPAddr(), n.forwarder.TCPAddr()
	}
	if wantForwarder || mode == supervisor.ModeOffline {
		if err := n.writeResolvConf(dataHome, log); err != nil {
			n.close()
			return nil, err
		}
	}
	return n, nil
}

// dnsUpstreams returns [network] dns_servers, or the nameservers of the
// host's resolv.conf when that list is empty.
func dnsUpstreams(configured []string) ([]netip.AddrPort, error) {
	servers, err := policy.ParseDNSServers(configured)
	if err != nil {
		return nil, err
	}
	if len(servers) > 0 {
		return servers, nil
	}
	content, err := os.ReadFile(hostResolvConf)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the DNS servers: %w", err)
	}
	servers = dnsforward.ParseResolvConf(content)
	if len(servers) == 0 {
		return nil, fmt.Errorf("no DNS server found in %s: set [network] dns_servers, or run with --network offline", hostResolvConf)
	}
	return servers, nil
}

// writeResolvConf writes the sandbox's resolv.conf and finds where the
// sandbox's glibc will look for it: /etc/resolv.conf, or the file it links
// to (systemd-resolved and NetworkManager link it into /run).
func (n *networkSetup) writeResolvConf(dataHome string, log *slog.Logger) error {
	target, err := filepath.EvalSymlinks(hostResolvConf)
	if err != nil {
		// NOTE: without a file to cover, glibc queries 127.0.0.1 over UDP;
		// the supervisor redirects that too, but glibc drops the
		// redirected answer, so lookups fail.
		log.Warn("the host has no resolv.conf, so name lookups in the sandbox fail", "err", err)
		return nil
	}
	path := filepath.Join(dataHome, "resolv.conf")
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, sandboxResolvConf) {
		if err := os.MkdirAll(dataHome, 0o700); err != nil {
			return fmt.Errorf("writing the sandbox's resolv.conf: %w", err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, sandboxResolvConf, 0o644); err != nil {
			return fmt.Errorf("writing the sandbox's resolv.conf: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing the sandbox's resolv.conf: %w", err)
		}
	}
	n.resolvConf, n.resolvTarget = path, target
	return nil
}

// describeNetwork summarizes the [network] settings for `winewarden
// doctor`: the mode, the allowlist in restrict mode and where DNS queries
// go.
func describeNetwork(cfg policy.Network) []string {
	lines := []string{"mode " + cfg.Mode}
	if cfg.Mode == supervisor.ModeRestrict {
		ports := "every port"
		if len(cfg.AllowedPorts) > 0 {
			ports = fmt.Sprint(cfg.AllowedPorts)
		}
		lines = append(lines, fmt.Sprintf("restrict allows %d domain entries, %d address ranges, %s",
			len(cfg.AllowedDomains), len(cfg.AllowedCIDRs), ports))
		if len(cfg.AllowedDomains) == 0 && len(cfg.AllowedCIDRs) == 0 {
			lines = append(lines, "the allowlist is empty: every name gets NXDOMAIN and no address is reachable; "+
				"add allowed_domains or allowed_cidrs")
		}
	}
	switch {
	case cfg.Mode == supervisor.ModeOffline:
		lines = append(lines, "DNS fails at once (loopback only)")
	case cfg.Mode == supervisor.ModeObserve && !cfg.DNSAwareness:
		lines = append(lines, "DNS goes to the host's resolvers directly (dns_awareness = false), so destinations carry no names")
	default:
		servers, err := dnsUpstreams(cfg.DNSServers)
		if err != nil {
			lines = append(lines, "DNS forwarder: "+err.Error())
		} else {
			lines = append(lines, fmt.Sprintf("DNS forwarder sends queries to %v", servers))
		}
	}
	return lines
}

// observe passes one answered query to the current supervisor.
func (n *networkSetup) observe(ex dnsforward.Exchange) {
	if sup := n.current.Load(); sup != nil {
		sup.ObserveDNS(ex)
	}
}

// close stops the forwarder.
func (n *networkSetup) close() {
	if n != nil && n.forwarder != nil {
		n.forwarder.Close()
	}
}
