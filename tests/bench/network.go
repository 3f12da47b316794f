package main

// The benchmarks of the network policy: a DNS lookup through the
// supervisor's forwarder, a connect in restrict mode, where the supervisor
// makes the call itself, and a UDP stream in restrict mode, where it sends
// every datagram itself. All traffic stays on 127.0.0.1; a small resolver
// started here plays the system's resolver.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/tests/testdns"
)

const (
	// lookupCount is the number of queries per run of the DNS benchmark.
	lookupCount = 500
	// streamRate and streamCount make the UDP stream: 5,000 datagrams per
	// second for 5 seconds.
	streamRate  = 5000
	streamCount = 25000
)

// networkBenchmarks runs the benchmarks of this file.
func (b *bench) networkBenchmarks(runs int) []string {
	resolver, err := startBenchResolver()
	if err != nil {
		failure := "Starting the loopback resolver failed: " + markdownCell(err.Error())
		return []string{section("DNS lookup through the forwarder", "", "not measured", failure, "")}
	}
	defer resolver.Close()
	fmt.Fprintln(os.Stderr, "bench: DNS lookup")
	sections := []string{b.dnsBenchmark(runs, resolver)}
	fmt.Fprintln(os.Stderr, "bench: restrict-mode connect")
	sections = append(sections, b.restrictConnectBenchmark(runs, resolver))
	fmt.Fprintln(os.Stderr, "bench: restrict-mode UDP stream")
	return append(sections, b.udpStreamBenchmark(resolver))
}

// startBenchResolver starts a loopback resolver that answers every A
// query with 127.0.0.1.
func startBenchResolver() (*testdns.Server, error) { return testdns.Start(benchAnswer) }

func benchAnswer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if q.Type == dnsmessage.TypeA {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}})
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// configHome writes config.toml into a directory of its own and returns the
// XDG_CONFIG_HOME setting that selects it.
func (b *bench) configHome(name, content string) (string, error) {
	dir := filepath.Join(b.work, "config-"+name)
	if err := os.MkdirAll(filepath.Join(dir, "winewarden"), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "winewarden", "config.toml"), []byte(content+steadyTiers), 0o600); err != nil {
		return "", err
	}
	return "XDG_CONFIG_HOME=" + dir, nil
}

// networkConfigs writes the observe and restrict configs that send the
// forwarder's queries to resolver.
func (b *bench) networkConfigs(resolver *testdns.Server) (observe, restrict string, err error) {
	base := fmt.Sprintf("[network]\nconnection_rate_limit = 1000000\ndns_servers = [%q]\n", resolver.Addr())
	observe, err = b.configHome("observe", base)
	if err != nil {
		return "", "", err
	}
	restrict, err = b.configHome("restrict", base+
		"mode = \"restrict\"\nallowed_domains = [\"bench.test\"]\nallowed_cidrs = [\"127.0.0.1/32\"]\n")
	return observe, restrict, err
}

var resolveTimeLine = regexp.MustCompile(`OK resolve-time n=(\d+) median_ns=(\d+) p90_ns=(\d+) failed=(\d+)`)

func (b *bench) dnsBenchmark(runs int, resolver *testdns.Server) string {
	const title = "DNS lookup through the forwarder"
	const goalText = "Goal: a DNS lookup through the forwarder adds at most 1 ms at the median."
	observe, restrict, err := b.networkConfigs(resolver)
	if err != nil {
		return section(title, goalText, "not measured", "Writing config.toml failed: "+markdownCell(err.Error()), "")
	}

	host, port, _ := strings.Cut(resolver.Addr(), ":")
	stress := filepath.Join(b.game, "stress")
	direct := []string{stress, "resolve-time", host, port, "bench.test", strconv.Itoa(lookupCount)}
	// In the sandbox the query goes to port 53 of any address, which the
	// supervisor sends to its forwarder.
	redirected := []string{stress, "resolve-time", "127.0.0.53", "53", "bench.test", strconv.Itoa(lookupCount)}
	variants := []*variant{
		{label: "bare (to the resolver)", env: b.env(observe), argv: direct},
		{label: "winewarden run, observe", wrapper: true, env: b.env(observe), argv: b.inGame("bench", redirected...)},
		{label: "winewarden run, restrict", wrapper: true, env: b.env(restrict), argv: b.inGame("bench", redirected...)},
		{label: "bwrap --share-net (to the resolver)", env: b.env(), argv: b.bwrap([]string{"--share-net"}, direct...)},
		{label: "firejail --noprofile --private (to the resolver)", env: b.env(),
			argv: append([]string{"firejail", "--quiet", "--noprofile", "--private"}, direct...)},
	}
	table, medians, _ := b.timedCalls(variants, runs, resolveTimeLine, lookupCount)

	goal := "not judged: winewarden or the bare run did not run"
	bare, ww := variants[0], variants[1]
	if bare.failure == "" && ww.failure == "" {
		added := median(medians[ww]) - median(medians[bare])
		goal = verdict(added <= time.Millisecond, fmt.Sprintf("the forwarder adds %s at the median in observe mode", us(added)))
		if r := variants[2]; r.failure == "" {
			table += fmt.Sprintf("\nAdded in restrict mode: %s at the median.\n", us(median(medians[r])-median(medians[bare])))
		}
	}
	return section(title, goalText, goal,
		fmt.Sprintf("`stress resolve-time SERVER PORT bench.test %d` (testdata/elf/stress.c) sends %d A queries, one "+
			"after the other, with glibc's res_nquery over TCP (RES_USEVC, as the sandbox's resolv.conf sets "+
			"use-vc) and times each call. A resolver that the benchmark runs on 127.0.0.1 answers them. The bare, "+
			"bwrap and firejail runs ask that resolver directly. winewarden runs ask 127.0.0.53:53, so the "+
			"supervisor connects the socket to its forwarder instead, and the forwarder parses the query, "+
			"asks the resolver (`[network] dns_servers`) over UDP, records the answer, writes a dns event and "+
			"returns the answer. Each query opens a new TCP connection, which glibc does as well. %d measured "+
			"runs per variant after 2 warm-up runs. The table gives the median over the runs of each run's "+
			"median and p90.", lookupCount, lookupCount, runs),
		table)
}

func (b *bench) restrictConnectBenchmark(runs int, resolver *testdns.Server) string {
	const title = "Connect in restrict mode"
	const goalText = "Goal: a restrict-mode connect adds at most 50 µs at the median over a bare run."
	observe, restrict, err := b.networkConfigs(resolver)
	if err != nil {
		return section(title, goalText, "not measured", "Writing config.toml failed: "+markdownCell(err.Error()), "")
	}
	port, stop, err := listenLoopback()
	if err != nil {
		return section(title, goalText, "not measured", "Opening the listener failed: "+markdownCell(err.Error()), "")
	}
	defer stop()

	connect := []string{filepath.Join(b.game, "stress"), "connect-time", "127.0.0.1", port, strconv.Itoa(connectCount)}
	variants := []*variant{
		{label: "bare", env: b.env(observe), argv: connect},
		{label: "winewarden run, restrict", wrapper: true, env: b.env(restrict), argv: b.inGame("bench", connect...)},
		{label: "winewarden run, observe", wrapper: true, env: b.env(observe), argv: b.inGame("bench", connect...)},
	}
	table, medians, _ := b.timedCalls(variants, runs, connectTimeLine, connectCount)

	goal := "not judged: winewarden or the bare run did not run"
	bare, ww := variants[0], variants[1]
	if bare.failure == "" && ww.failure == "" {
		added := median(medians[ww]) - median(medians[bare])
		goal = verdict(added <= 50*time.Microsecond, fmt.Sprintf("restrict mode adds %s at the median", us(added)))
	}
	return section(title, goalText, goal,
		fmt.Sprintf("`stress connect-time 127.0.0.1 PORT %d` as in the supervised-connect benchmark, with "+
			"`mode = \"restrict\"` and `allowed_cidrs = [\"127.0.0.1/32\"]`. In restrict mode the supervisor "+
			"never lets the kernel run the call: it copies the socket with pidfd_getfd and the address out of "+
			"the program's memory, checks the copy and connects the socket itself. The sockets are blocking, so "+
			"each connect runs on a worker goroutine. %d measured runs per variant after 2 warm-up runs.",
			connectCount, runs),
		table)
}

// timedCalls measures variants whose output is a line matched by re with
// n, median_ns, p90_ns and failed, and returns a table and each run's
// median and p90 per variant.
func (b *bench) timedCalls(variants []*variant, runs int, re *regexp.Regexp, count int) (string, map[*variant][]time.Duration, map[*variant][]time.Duration) {
	markMissing(variants)
	medians := map[*variant][]time.Duration{}
	p90s := map[*variant][]time.Duration{}
	for _, v := range variants {
		v.output = func(stdout []byte) error {
			m := re.FindSubmatch(stdout)
			if m == nil {
				return fmt.Errorf("no result line in the output: %q", firstLines(string(stdout), 1))
			}
			if failed := string(m[4]); failed != "0" {
				return fmt.Errorf("%s of %d calls failed", failed, count)
			}
			medians[v] = append(medians[v], time.Duration(parseInt(m[2])))
			p90s[v] = append(p90s[v], time.Duration(parseInt(m[3])))
			return nil
		}
	}
	measure(variants, 2, runs)
	bare := variants[0]
	var t strings.Builder
	t.WriteString("| variant | median | p90 | median − bare | runs |\n|---|---|---|---|---|\n")
	for _, v := range variants {
		if v.failure != "" {
			fmt.Fprintf(&t, "| %s | %s | | | %d |\n", v.label, markdownCell(v.failure), len(v.times))
			continue
		}
		added := ""
		if bare.failure == "" && v != bare {
			added = us(median(medians[v]) - median(medians[bare]))
		}
		fmt.Fprintf(&t, "| %s | %s | %s | %s | %d |\n", v.label, us(median(medians[v])), us(median(p90s[v])), added, len(medians[v]))
	}
	return t.String(), medians, p90s
}

var streamLine = regexp.MustCompile(`OK udp-stream sent=(\d+) failed=(\d+) elapsed_ns=(\d+)`)

func (b *bench) udpStreamBenchmark(resolver *testdns.Server) string {
	const title = "UDP stream in restrict mode"
	goalText := fmt.Sprintf("Goal: a UDP stream of %d packets/s in restrict mode keeps up without loss.", streamRate)
	_, restrict, err := b.networkConfigs(resolver)
	if err != nil {
		return section(title, goalText, "not measured", "Writing config.toml failed: "+markdownCell(err.Error()), "")
	}
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return section(title, goalText, "not measured", "Opening the UDP socket failed: "+markdownCell(err.Error()), "")
	}
	defer sink.Close()
	sink.SetReadBuffer(4 << 20)
	var received atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := sink.ReadFrom(buf); err != nil {
				return
			}
			received.Add(1)
		}
	}()

	port := strconv.Itoa(sink.LocalAddr().(*net.UDPAddr).Port)
	stream := []string{filepath.Join(b.game, "stress"), "udp-stream", "127.0.0.1", port, strconv.Itoa(streamRate), strconv.Itoa(streamCount)}
	variants := []struct {
		label string
		argv  []string
		env   []string
	}{
		{"bare", stream, b.env()},
		{"winewarden run, restrict", b.inGame("bench", stream...), b.env(restrict)},
	}

	var t strings.Builder
	t.WriteString("| variant | sent | received | lost | send time | rate | wrapper CPU |\n|---|---|---|---|---|---|---|\n")
	met := true
	judged := false
	for _, v := range variants {
		before := received.Load()
		result, err := runOnce(v.argv, v.env)
		time.Sleep(200 * time.Millisecond)
		got := received.Load() - before
		if err != nil {
			fmt.Fprintf(&t, "| %s | %s | | | | | |\n", v.label, markdownCell(err.Error()))
			met = false
			continue
		}
		m := streamLine.FindSubmatch(result.stdout)
		if m == nil {
			fmt.Fprintf(&t, "| %s | no result line | | | | | |\n", v.label)
			met = false
			continue
		}
		sent, elapsed := parseInt(m[1]), time.Duration(parseInt(m[3]))
		cpu := ""
		if strings.HasPrefix(v.label, "winewarden") {
			judged = true
			if ms, ok := wrapperCPU(result.stderr); ok {
				cpu = fmt.Sprintf("%d ms", ms)
			}
			// Keeping up: every datagram sent and received, at the
			// requested rate within 2%.
			rate := float64(sent) / elapsed.Seconds()
			met = met && sent == streamCount && got == sent && rate >= 0.98*streamRate
		}
		fmt.Fprintf(&t, "| %s | %d | %d | %d | %s | %.0f/s | %s |\n", v.label, sent, got, sent-got, seconds(elapsed),
			float64(sent)/elapsed.Seconds(), cpu)
	}

	goal := "not judged: the winewarden run failed"
	if judged {
		goal = verdict(met, fmt.Sprintf("%d datagrams at %d/s", streamCount, streamRate))
	}
	return section(title, goalText, goal,
		fmt.Sprintf("`stress udp-stream 127.0.0.1 PORT %d %d` (testdata/elf/stress.c) sends %d numbered datagrams "+
			"with sendto at a fixed schedule of %d per second, sleeping until each is due, to a socket that the "+
			"benchmark reads on 127.0.0.1 (4 MiB receive buffer). In restrict mode (`allowed_cidrs = "+
			"[\"127.0.0.1/32\"]`) every sendto is a seccomp notification: the supervisor copies the datagram and "+
			"address, checks the address and sends the datagram itself. \"Keeps up\" means every datagram sent, "+
			"every one received and the rate within 2%% of the schedule. Wrapper CPU is the wrapper's user and "+
			"system time for the whole run from the session log. One run per variant.",
			streamRate, streamCount, streamCount, streamRate),
		t.String())
}

// wrapperCPU reads fields.wrapper_cpu_ms of the exit event from the session
// log that a wrapper run named on stderr.
func wrapperCPU(stderr []byte) (int64, bool) {
	path := sessionLogPath(stderr)
	if path == "" {
		return 0, false
	}
	var cpu int64
	found := false
	countSessionLog(path, func(e audit.Event) {
		if v, ok := e.Fields["wrapper_cpu_ms"].(float64); ok && e.Kind == "exit" {
			cpu, found = int64(v), true
		}
	})
	return cpu, found
}
