package tests

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// testNetworkTable returns a [network] table that sends the forwarder's
// queries to the test resolver, followed by extra lines.
func testNetworkTable(extra ...string) string {
	table := fmt.Sprintf("[network]\ndns_servers = [%q]\n", dnsServer.udpAddr())
	return table + strings.Join(extra, "\n") + "\n"
}

// restrictConfig allows the test zone's game.test names and nothing else.
func restrictConfig(t *testing.T, extra ...string) []string {
	lines := append([]string{`mode = "restrict"`, `allowed_domains = ["game.test", "*.game.test"]`}, extra...)
	return withConfig(t, testNetworkTable(lines...))
}

// loopbackServer is a TCP listener on one loopback address that answers
// every connection with a fixed reply and counts them.
type loopbackServer struct {
	port     string
	accepted atomic.Int64
}

func serveTCP(t *testing.T, ip, reply string) *loopbackServer {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &loopbackServer{port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 512)
				c.Read(buf)
				c.Write([]byte(reply))
			}()
		}
	}()
	return s
}

// udpCounter is a UDP socket on one loopback address that counts datagrams.
type udpCounter struct {
	port     string
	received atomic.Int64
}

func countUDP(t *testing.T, ip string) *udpCounter {
	t.Helper()
	pc, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := &udpCounter{port: strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)}
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			c.received.Add(1)
		}
	}()
	return c
}

// netprobe runs netprobe.exe under Wine in the sandbox.
func (e *env) netprobe(t *testing.T, gameID, mode string, extraEnv []string, args ...string) result {
	t.Helper()
	argv := []string{"run", "--game-id", gameID, "--game-dir", e.gameDir}
	if mode != "" {
		argv = append(argv, "--network", mode)
	}
	argv = append(argv, "--", "wine", filepath.Join(e.gameDir, "netprobe.exe"))
	return e.run(t, append(argv, args...), extraEnv...)
}

// networkEvent returns the first network event for target with decision.
func networkEvent(r result, decision, target string) (audit.Event, bool) {
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Decision == decision && ev.Target == target {
			return ev, true
		}
	}
	return audit.Event{}, false
}

func anomalyFor(r result, reason, target string) bool {
	for _, ev := range eventsOf(r, audit.KindNetworkAnomaly) {
		if ev.Rule == reason && (target == "" || ev.Target == target) {
			return true
		}
	}
	return false
}

func dnsEvent(r result, name string) (audit.Event, bool) {
	for _, ev := range eventsOf(r, audit.KindDNS) {
		if fieldString(ev, "name") == name {
			return ev, true
		}
	}
	return audit.Event{}, false
}

func TestObserveEventHasDomain(t *testing.T) {
	e := needWine(t)
	server := serveTCP(t, "127.0.0.2", "welcome")
	r := e.netprobe(t, "net-observe", "observe", nil, "fetch", "game.test", server.port, "hello")
	if !strings.Contains(r.stdout, "OK fetch reply welcome") {
		t.Fatalf("fetch through the forwarder failed: %q", r.stdout)
	}

	ev, ok := networkEvent(r, audit.DecisionAllow, "127.0.0.2:"+server.port)
	if !ok {
		t.Fatal("no allowed network event for 127.0.0.2:" + server.port)
	}
	if got := fieldString(ev, "domain"); got != "game.test" {
		t.Errorf("network event domain %q, want game.test", got)
	}
	if !strings.HasSuffix(strings.ToLower(ev.Image), "netprobe.exe") && !strings.Contains(ev.Image, "wineserver") {
		t.Errorf("network event image %q, want netprobe.exe or wineserver", ev.Image)
	}

	dns, ok := dnsEvent(r, "game.test")
	if !ok {
		t.Fatal("no dns event for game.test")
	}
	if addrs, _ := dns.Fields["addresses"].([]any); len(addrs) == 0 || addrs[0] != "127.0.0.2" {
		t.Errorf("dns event addresses %v, want [127.0.0.2]", dns.Fields["addresses"])
	}
	if anomalyFor(r, "unresolved_ip", "127.0.0.2:"+server.port) {
		t.Error("a resolved address was counted as unresolved")
	}

	// A first run also writes the summary of creating the prefix, with
	// stage "prefix_init".
	var summary audit.Event
	for _, ev := range eventsOf(r, audit.KindNetworkSummary) {
		if fieldString(ev, "stage") == "game" {
			summary = ev
		}
	}
	if summary.Kind == "" {
		t.Fatal("no network_summary event with stage game")
	}
	dests, _ := summary.Fields["destinations"].([]any)
	found := false
	for _, d := range dests {
		m, _ := d.(map[string]any)
		if m["target"] == "127.0.0.2:"+server.port && m["domain"] == "game.test" {
			found = true
		}
	}
	if !found {
		t.Errorf("network_summary lacks 127.0.0.2:%s with domain game.test: %v", server.port, dests)
	}
}

func TestObserveDeadDropAnomaly(t *testing.T) {
	e := needWine(t)
	c2 := serveTCP(t, "127.0.0.6", "ok")
	drop := serveTCP(t, "127.0.0.2", "127.0.0.6:"+c2.port)
	r := e.netprobe(t, "net-deaddrop", "observe", nil, "deaddrop", "drop.game.test", drop.port)
	if !strings.Contains(r.stdout, "OK deaddrop reply ok") {
		t.Fatalf("observe mode blocked the dead drop: %q", r.stdout)
	}
	if !anomalyFor(r, "unresolved_ip", "127.0.0.6:"+c2.port) {
		t.Error("no unresolved_ip anomaly for the address the dead drop named")
	}
	if anomalyFor(r, "unresolved_ip", "127.0.0.2:"+drop.port) {
		t.Error("the resolved dead-drop page was counted as unresolved")
	}
}

func TestOfflineConnectAndDNSFail(t *testing.T) {
	e := needWine(t)
	server := serveTCP(t, "127.0.0.2", "welcome")
	before := dnsServer.count("game.test")
	start := time.Now()
	r := e.netprobe(t, "net-offline", "offline", nil, "fetch", "game.test", server.port, "hello")
	if !strings.Contains(r.stdout, "FAIL fetch resolve") {
		t.Errorf("name lookup did not fail offline: %q", r.stdout)
	}
	if elapsed := time.Since(start); elapsed > 60*time.Second {
		t.Errorf("the offline run took %v; DNS should fail at once", elapsed)
	}
	if n := dnsServer.count("game.test") - before; n != 0 {
		t.Errorf("the resolver saw %d queries for game.test from an offline game", n)
	}
	denied := false
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Decision == audit.DecisionDeny && strings.HasSuffix(ev.Target, ":53") && ev.Rule == "network.mode" {
			denied = true
		}
	}
	if !denied {
		t.Error("no denied network event for the DNS query")
	}

	r = e.netprobe(t, "net-offline", "offline", nil, "tcp", "127.0.0.2", server.port, "hello")
	if !strings.Contains(r.stdout, "FAIL tcp connect") {
		t.Errorf("connect to the host's loopback did not fail offline: %q", r.stdout)
	}
	if n := server.accepted.Load(); n != 0 {
		t.Errorf("the host listener accepted %d connections from an offline game", n)
	}
	ev, ok := networkEvent(r, audit.DecisionAllow, "127.0.0.2:"+server.port)
	if !ok || fieldString(ev, "mode") != "offline" {
		t.Errorf("no network event in offline mode for the connect attempt: %+v", ev)
	}
}

func TestRestrictAllowsListedDomainThroughCNAME(t *testing.T) {
	e := needWine(t)
	server := serveTCP(t, "127.0.0.3", "edge")
	r := e.netprobe(t, "net-restrict", "", restrictConfig(t), "fetch", "www.game.test", server.port, "hello")
	if !strings.Contains(r.stdout, "OK fetch reply edge") {
		t.Fatalf("restrict mode refused an allowed name: %q", r.stdout)
	}
	dns, ok := dnsEvent(r, "www.game.test")
	if !ok {
		t.Fatal("no dns event for www.game.test")
	}
	if cnames, _ := dns.Fields["cnames"].([]any); len(cnames) != 2 {
		t.Errorf("dns event cnames %v, want cdn1.game.test and edge.cdn.test", dns.Fields["cnames"])
	}
	ev, ok := networkEvent(r, audit.DecisionAllow, "127.0.0.3:"+server.port)
	if !ok {
		t.Fatal("no allowed network event for the CNAME's final address")
	}
	if got := fieldString(ev, "domain"); got != "www.game.test" {
		t.Errorf("network event domain %q, want www.game.test", got)
	}
}

func TestRestrictUnlistedNameNXDOMAIN(t *testing.T) {
	e := needWine(t)
	before := dnsServer.count("other.test")
	r := e.netprobe(t, "net-restrict", "", restrictConfig(t), "resolve", "other.test")
	// WSAHOST_NOT_FOUND: the name does not exist.
	if !strings.Contains(r.stdout, "FAIL resolve other.test error=11001") {
		t.Errorf("unlisted name resolved or failed differently: %q", r.stdout)
	}
	if n := dnsServer.count("other.test") - before; n != 0 {
		t.Errorf("the resolver saw %d queries for an unlisted name", n)
	}
	dns, ok := dnsEvent(r, "other.test")
	if !ok {
		t.Fatal("no dns event for other.test")
	}
	if dns.Decision != audit.DecisionDeny || fieldString(dns, "rcode") != "NXDOMAIN" {
		t.Errorf("dns event decision %q rcode %q, want deny NXDOMAIN", dns.Decision, fieldString(dns, "rcode"))
	}
}

func TestRestrictRawAddressRefused(t *testing.T) {
	e := needWine(t)
	server := serveTCP(t, "127.0.0.4", "leak")
	r := e.netprobe(t, "net-restrict", "", restrictConfig(t), "tcp", "127.0.0.4", server.port, "hello")
	// WSAEACCES.
	if !strings.Contains(r.stdout, "FAIL tcp connect error=10013") {
		t.Errorf("connect to a raw address was not refused: %q", r.stdout)
	}
	if n := server.accepted.Load(); n != 0 {
		t.Errorf("the unlisted listener accepted %d connections", n)
	}
	target := "127.0.0.4:" + server.port
	ev, ok := networkEvent(r, audit.DecisionDeny, target)
	if !ok {
		t.Fatal("no denied network event for " + target)
	}
	if ev.Rule != "network.allowed_domains" {
		t.Errorf("denial rule %q, want network.allowed_domains", ev.Rule)
	}
	if !anomalyFor(r, "unresolved_ip", target) {
		t.Error("no unresolved_ip anomaly for " + target)
	}
}

func TestRestrictDeadDropRefused(t *testing.T) {
	e := needWine(t)
	c2 := serveTCP(t, "127.0.0.6", "ok")
	drop := serveTCP(t, "127.0.0.2", "127.0.0.6:"+c2.port)
	r := e.netprobe(t, "net-restrict", "", restrictConfig(t), "deaddrop", "drop.game.test", drop.port)
	if !strings.Contains(r.stdout, "FAIL deaddrop connect error=10013") {
		t.Errorf("the dead drop's server was not refused: %q", r.stdout)
	}
	if n := drop.accepted.Load(); n != 1 {
		t.Errorf("the allowed page server accepted %d connections, want 1", n)
	}
	if n := c2.accepted.Load(); n != 0 {
		t.Errorf("the dead drop's server accepted %d connections", n)
	}
}

func TestRestrictUnlistedUDPRefused(t *testing.T) {
	e := needWine(t)
	sink := countUDP(t, "127.0.0.5")
	r := e.netprobe(t, "net-restrict", "", restrictConfig(t), "udp", "127.0.0.5", sink.port, "leak")
	if !strings.Contains(r.stdout, "FAIL udp sendto error=10013") {
		t.Errorf("UDP to an unlisted address was not refused: %q", r.stdout)
	}
	time.Sleep(100 * time.Millisecond)
	if n := sink.received.Load(); n != 0 {
		t.Errorf("the unlisted UDP socket received %d datagrams", n)
	}
	if _, ok := networkEvent(r, audit.DecisionDeny, "127.0.0.5:"+sink.port); !ok {
		t.Error("no denied network event for the datagram")
	}
}

// A second thread rewrites the sockaddr while the supervisor decides. The
// supervisor acts on its own copy, so the unlisted listener never sees a
// connection or a datagram.
func TestRestrictSockaddrRace(t *testing.T) {
	e := needSandbox(t)
	good := serveTCP(t, "127.0.0.7", "")
	bad := serveTCP(t, "127.0.0.8", "")
	goodUDP := countUDP(t, "127.0.0.7")
	badUDP := countUDP(t, "127.0.0.8")
	env := restrictConfig(t, `allowed_cidrs = ["127.0.0.7/32"]`, "connection_rate_limit = 1000000")
	const attempts = "10000"

	re := regexp.MustCompile(`succeeded=(\d+) failed=(\d+)`)
	for _, c := range []struct {
		protocol   string
		good, bad  string
		badCounter func() int64
		goodCount  func() int64
	}{
		{"tcp", good.port, bad.port, bad.accepted.Load, good.accepted.Load},
		{"udp", goodUDP.port, badUDP.port, badUDP.received.Load, goodUDP.received.Load},
	} {
		t.Run(c.protocol, func(t *testing.T) {
			r := e.stressRun(t, "net-race", env, "sockaddr-race", c.protocol, "127.0.0.7", c.good, "127.0.0.8", c.bad, attempts)
			m := re.FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("no result line: %q", r.stdout)
			}
			time.Sleep(200 * time.Millisecond)
			if n := c.badCounter(); n != 0 {
				t.Errorf("the unlisted listener counted %d of %s attempts", n, attempts)
			}
			if succeeded, _ := strconv.Atoi(m[1]); succeeded == 0 || c.goodCount() == 0 {
				t.Errorf("no attempt reached the listed address (succeeded=%s, counted %d); the race did not run", m[1], c.goodCount())
			}
			if failed, _ := strconv.Atoi(m[2]); failed == 0 {
				t.Error("no attempt was refused; the flipping thread never won a race")
			}
		})
	}
}

func TestHostileDNSAnswersHandled(t *testing.T) {
	e := needSandbox(t)
	script := "for n in loop.hostile.test short.hostile.test garbage.hostile.test game.test; do " +
		"if getent hosts $n; then echo \"OK $n\"; else echo \"FAIL $n\"; fi; done"
	start := time.Now()
	r := e.run(t, []string{"run", "--game-id", "net-hostile", "--game-dir", e.gameDir, "--", "/bin/sh", "-c", script},
		withConfig(t, testNetworkTable())...)
	if elapsed := time.Since(start); elapsed > 90*time.Second {
		t.Errorf("hostile answers took %v to handle", elapsed)
	}
	if !strings.Contains(r.stdout, "127.0.0.2") || !strings.Contains(r.stdout, "OK game.test") {
		t.Errorf("a normal lookup after the hostile ones failed: %q", r.stdout)
	}
	for _, name := range []string{"loop.hostile.test", "short.hostile.test", "garbage.hostile.test"} {
		if strings.Contains(r.stdout, "OK "+name) {
			t.Errorf("%s resolved: %q", name, r.stdout)
		}
		if _, ok := dnsEvent(r, name); !ok {
			t.Errorf("no dns event for %s", name)
		}
	}
}

func TestTXTQueryAnomaly(t *testing.T) {
	e := needWine(t)
	env := withConfig(t, testNetworkTable(`allowed_domains = ["*.game.test"]`))
	r := e.netprobe(t, "net-txt", "observe", env, "txt", "c2.test")
	if !strings.Contains(r.stdout, "OK txt c2.test run=payload") {
		t.Errorf("TXT lookup in observe mode failed: %q", r.stdout)
	}
	if !anomalyFor(r, "dns_txt", "c2.test") {
		t.Error("no dns_txt anomaly for a name off the allowlist")
	}
	r = e.netprobe(t, "net-txt", "observe", env, "txt", "txt.game.test")
	if anomalyFor(r, "dns_txt", "") {
		t.Error("a TXT query for an allowed name was counted as an anomaly")
	}
}

// The emulated sendmsg and sendmmsg deliver to a listed address, store
// sendmmsg's per-message lengths, and refuse an unlisted one.
func TestRestrictSendmsgForms(t *testing.T) {
	e := needSandbox(t)
	listed := countUDP(t, "127.0.0.7")
	unlisted := countUDP(t, "127.0.0.8")
	env := restrictConfig(t, `allowed_cidrs = ["127.0.0.7/32"]`)
	for _, mode := range []string{"sendto", "sendmsg", "sendmmsg"} {
		t.Run(mode, func(t *testing.T) {
			before := listed.received.Load()
			r := e.stressRun(t, "net-sendmsg", env, "udp-send", mode, "127.0.0.7", listed.port)
			want := 1
			if mode == "sendmmsg" {
				want = 2
			}
			if !strings.Contains(r.stdout, fmt.Sprintf("OK udp-send %s sent=%d", mode, want)) {
				t.Errorf("%s to a listed address: %q", mode, r.stdout)
			}
			r = e.stressRun(t, "net-sendmsg", env, "udp-send", mode, "127.0.0.8", unlisted.port)
			if !strings.Contains(r.stdout, fmt.Sprintf("FAIL udp-send %s errno=%d", mode, 13)) {
				t.Errorf("%s to an unlisted address was not refused with EACCES: %q", mode, r.stdout)
			}
			time.Sleep(100 * time.Millisecond)
			if got := listed.received.Load() - before; got != int64(want) {
				t.Errorf("the listed socket received %d datagrams, want %d", got, want)
			}
		})
	}
	if n := unlisted.received.Load(); n != 0 {
		t.Errorf("the unlisted socket received %d datagrams", n)
	}
}

// i386 code reaches connect directly and through socketcall; restrict
// mode emulates both.
func TestRestrictI386Connect(t *testing.T) {
	e := needSandbox(t)
	listed := serveTCP(t, "127.0.0.7", "")
	unlisted := serveTCP(t, "127.0.0.8", "")
	env := restrictConfig(t, `allowed_cidrs = ["127.0.0.7/32"]`)
	r := e.helperRun(t, env, "connect-i386", "127.0.0.7", listed.port)
	for _, form := range []string{"direct", "socketcall"} {
		if !strings.Contains(r.stdout, "RESULT connect "+form+" ok") {
			t.Errorf("i386 connect (%s) to a listed address failed:\n%s", form, r.stdout)
		}
	}
	r = e.helperRun(t, env, "connect-i386", "127.0.0.8", unlisted.port)
	if strings.Contains(r.stdout, " ok") {
		t.Errorf("i386 connect to an unlisted address succeeded:\n%s", r.stdout)
	}
	if n := unlisted.accepted.Load(); n != 0 {
		t.Errorf("the unlisted listener accepted %d i386 connections", n)
	}
	denied := 0
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Decision == audit.DecisionDeny && fieldString(ev, "abi") == "i386" {
			denied++
		}
	}
	if denied == 0 {
		t.Error("no denied i386 network event")
	}
}

// glibc sorts getaddrinfo's results by connecting a UDP socket to each
// address and then dissolving it with connect(AF_UNSPEC). When that
// disconnect is refused, glibc aborts on an assertion.
func TestRestrictDualStackLookup(t *testing.T) {
	e := needSandbox(t)
	script := "for i in 1 2 3 4 5 6 7 8 9 10; do getent ahosts dual.game.test >/dev/null && echo ok || echo failed $?; done"
	r := e.run(t, []string{"run", "--game-id", "net-dual", "--game-dir", e.gameDir, "--", "/bin/sh", "-c", script},
		restrictConfig(t)...)
	if got := strings.Count(r.stdout, "ok\n"); got != 10 {
		t.Errorf("%d of 10 lookups of a dual-stack name succeeded:\n%s\n%s", got, r.stdout, r.stderr)
	}
	for _, ev := range eventsOf(r, audit.KindNetwork) {
		if ev.Decision == audit.DecisionDeny {
			t.Errorf("lookup made a denied network event: %s %s", ev.Target, ev.Rule)
		}
	}
	summaries := eventsOf(r, audit.KindNetworkSummary)
	if len(summaries) == 0 {
		t.Fatal("no network_summary event")
	}
	if n := fieldNumber(summaries[len(summaries)-1], "unique_destinations"); n != 0 {
		t.Errorf("address-sorting probes counted as %v destinations", n)
	}
}
