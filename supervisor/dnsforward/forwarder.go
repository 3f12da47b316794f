package dnsforward

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Values of Exchange.Decision.
const (
	// DecisionForwarded means that an upstream answered and its response
	// went to the client.
	DecisionForwarded = "forwarded"
	// DecisionBlocked means that Config.Allow rejected the name and the
	// client got NXDOMAIN.
	DecisionBlocked = "blocked"
	// DecisionFailed means that no upstream sent a usable response and the
	// client got SERVFAIL.
	DecisionFailed = "failed"
	// DecisionMalformed means that the query could not be parsed or is not a
	// standard query. The client got FORMERR, NOTIMP or no response.
	DecisionMalformed = "malformed"
)

// ErrNoUpstream is returned by Start when Config.Upstreams is empty.
var ErrNoUpstream = errors.New("no upstream resolvers configured")

const (
	defaultTimeout = 2 * time.Second
	errorBackoff   = 50 * time.Millisecond
)

// Config configures a Forwarder.
type Config struct {
	// Upstreams are the resolvers that queries are forwarded to, tried in
	// order. At least one is required.
	Upstreams []netip.AddrPort

	// Allow reports whether queries for a name are forwarded. When it returns
	// false, the client gets NXDOMAIN and no upstream is contacted. Nil
	// forwards every name. It receives names in the form of Exchange.Name and
	// is called from several goroutines at once.
	Allow func(name string) bool

	// Observe receives one Exchange for every client query, before the
	// response is sent or when the query is dropped, so that a caller that
	// records the addresses has them before the client can use them. It
	// delays the answer by its own run time. UDP queries dropped over the
	// in-flight limit are the exception: they are only counted in the log.
	// Observe is called from the goroutine that served the query, several at
	// once, and holds that query's in-flight slot until it returns. Nil
	// discards the exchanges.
	Observe func(Exchange)

	// Logger receives starts and stops, and once per second the counts of
	// failed upstream attempts, ignored upstream responses, dropped queries
	// and rejected TCP clients. Each query is logged at debug level. Nil
	// discards the logs.
	Logger *slog.Logger

	// Timeout is the maximum time of one upstream attempt over UDP, and of
	// the TCP retry after a truncated UDP response. Zero means 2 seconds.
	Timeout time.Duration
}

// Exchange describes one client query and the response it got.
type Exchange struct {
	Time      time.Time      // when the query arrived
	Client    netip.AddrPort // UDP source or TCP peer of the query
	Transport string         // "udp" or "tcp", between client and forwarder
	ID        uint16         // message ID of the client's query
	// Name is the question name in lower case without the trailing dot, "."
	// for the root. Spaces, bytes outside printable ASCII and backslashes are
	// written as \DDD (RFC 1035 section 5.1). Empty when no question was
	// parsed.
	Name     string
	Type     string // question type: "A", "AAAA", "HTTPS", …, "TYPE<n>" for others
	Decision string // one of the Decision constants
	// RCode is the response code sent to the client: "NOERROR", "NXDOMAIN",
	// "SERVFAIL", "FORMERR", "NOTIMP", "REFUSED" or "RCODE<n>". Empty when
	// the query was dropped.
	RCode string
	// Records is the answer section of the upstream's response, at most 64
	// records, also when the UDP response to the client had to be truncated.
	Records []Record
	// CNAMEs is the CNAME chain followed from Name, at most 16 names, in the
	// form of Name.
	CNAMEs []string
	// Addresses are the A and AAAA addresses of the last name in the chain,
	// IPv4-mapped IPv6 addresses unmapped.
	Addresses []netip.Addr
	// TTL is the smallest TTL in seconds among the chain and the addresses,
	// 0 when there are none.
	TTL uint32
	// Error is the reason parsing or forwarding failed. A response whose
	// records fail to parse is still sent to the client unchanged.
	Error string
}

// Record is one resource record of an answer section.
type Record struct {
	Name string // in the form of Exchange.Name
	Type string // in the form of Exchange.Type
	// TTL in seconds. TTLs above 2^31-1 are read as 0 (RFC 2181 section 8).
	TTL uint32
	// Data is the address for A and AAAA, the target name for CNAME, NS and
	// PTR, "pref host" for MX, "priority weight port target" for SRV, and the
	// quoted strings separated by spaces for TXT, cut at 256 bytes. Other
	// types get "<n bytes>".
	Data string
}

// limits bounds what clients can make the forwarder hold. Tests lower them.
type limits struct {
	idleTimeout   time.Duration // TCP client: max wait for the next message and for writing a response
	maxInFlight   int           // queries being answered, UDP and TCP together
	maxTCPClients int
	maxPipeline   int           // queries in flight per TCP client
	reportEvery   time.Duration // interval of the log lines with failure and drop counts
}

var defaultLimits = limits{
	idleTimeout:   10 * time.Second,
	maxInFlight:   256,
	maxTCPClients: 64,
	maxPipeline:   16,
	reportEvery:   time.Second,
}

// Forwarder is a running DNS forwarder. Its methods are safe for concurrent use.
type Forwarder struct {
	cfg     Config
	limits  limits
	log     *slog.Logger
	timeout time.Duration

	udp *net.UDPConn
	tcp *net.TCPListener

	// ctx is canceled by Close, which interrupts upstream attempts.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	inFlight chan struct{} // one slot per query being answered

	// Counts since the last report. Clients control how often these events
	// happen, so they are logged once per interval, not one line each.
	droppedQueries      atomic.Uint64
	rejectedClients     atomic.Uint64
	failedAttempts      failureCounter
	mismatchedResponses failureCounter

	mu      sync.Mutex
	clients map[*net.TCPConn]struct{}
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

// Start listens on 127.0.0.1 with a random UDP port and a separate random
// TCP port, and serves queries until Close.
func Start(cfg Config) (*Forwarder, error) {
	return start(cfg, defaultLimits)
}

func start(cfg Config, lim limits) (*Forwarder, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, fmt.Errorf("starting dns forwarder: %w", err)
	}
	cfg.Upstreams = append([]netip.AddrPort(nil), cfg.Upstreams...)

	loopback := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)
	udp, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(loopback))
	if err != nil {
		return nil, fmt.Errorf("starting dns forwarder: listening on udp %s: %w", loopback, err)
	}
	tcp, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(loopback))
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("starting dns forwarder: listening on tcp %s: %w", loopback, err)
	}

	f := &Forwarder{
		cfg:      cfg,
		limits:   lim,
		log:      cfg.Logger,
		timeout:  cfg.Timeout,
		udp:      udp,
		tcp:      tcp,
		inFlight: make(chan struct{}, lim.maxInFlight),
		clients:  make(map[*net.TCPConn]struct{}),
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.timeout == 0 {
		f.timeout = defaultTimeout
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())

	f.wg.Go(f.serveUDP)
	f.wg.Go(f.serveTCP)
	f.wg.Go(f.reportCounts)
	f.log.Info("dns forwarder started", "udp", f.UDPAddr(), "tcp", f.TCPAddr(), "upstreams", cfg.Upstreams)
	return f, nil
}

func validateConfig(cfg Config) error {
	if len(cfg.Upstreams) == 0 {
		return ErrNoUpstream
	}
	for _, up := range cfg.Upstreams {
		if !up.IsValid() || up.Port() == 0 {
			return fmt.Errorf("upstream %s is not a valid address and port: give an address such as 192.0.2.1:53", up)
		}
	}
	if cfg.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative: give 0 for the default of %s", cfg.Timeout, defaultTimeout)
	}
	return nil
}

// UDPAddr returns the address of the UDP listener.
func (f *Forwarder) UDPAddr() netip.AddrPort {
	return f.udp.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TCPAddr returns the address of the TCP listener.
func (f *Forwarder) TCPAddr() netip.AddrPort {
	return f.tcp.Addr().(*net.TCPAddr).AddrPort()
}

// Close stops both listeners, closes the TCP clients, interrupts upstream
// attempts and waits until every goroutine of the forwarder has returned, so
// no Observe call follows it. Later calls return the first call's result.
func (f *Forwarder) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		err := errors.Join(f.udp.Close(), f.tcp.Close())

		f.mu.Lock()
		f.closed = true
		for conn := range f.clients {
			conn.Close()
		}
		f.mu.Unlock()

		f.wg.Wait()
		if err != nil {
			f.closeErr = fmt.Errorf("closing dns forwarder: %w", err)
		}
		f.log.Info("dns forwarder stopped")
	})
	return f.closeErr
}

func (f *Forwarder) serveUDP() {
	buf := make([]byte, maxMessageSize)
	for {
		n, client, err := f.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			f.log.Warn("reading udp query failed", "err", err)
			f.pause(errorBackoff)
			continue
		}
		select {
		case f.inFlight <- struct{}{}:
		default:
			f.droppedQueries.Add(1)
			continue
		}

		query := bytes.Clone(buf[:n])
		client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
		received := time.Now()
		f.wg.Go(func() {
			defer func() { <-f.inFlight }()
			resp, ex := f.answer(query, client, "udp", received)
			// Observe runs first, so that a client that connects as soon
			// as it has the answer finds the addresses already recorded.
			f.observe(ex)
			if resp != nil {
				if _, err := f.udp.WriteToUDPAddrPort(resp, client); err != nil && f.ctx.Err() == nil {
					f.log.Warn("sending udp response failed", "client", client, "name", ex.Name, "err", err)
				}
			}
		})
	}
}

// pause waits for d or until Close, so that a persistent read or accept
// error does not make a loop spin.
func (f *Forwarder) pause(d time.Duration) {
	select {
	case <-time.After(d):
	case <-f.ctx.Done():
	}
}

// answer decides on one client query and returns the response to send, nil
// to send nothing, and the Exchange for Observe.
func (f *Forwarder) answer(raw []byte, client netip.AddrPort, transport string, received time.Time) ([]byte, Exchange) {
	ex := Exchange{Time: received, Client: client, Transport: transport}
	q, bad := parseQuery(raw)
	if q.hasHeader {
		ex.ID = q.header.ID
	}
	if q.hasQuestion {
		ex.Name = presentName(q.question.Name)
		ex.Type = typeName(q.question.Type)
	}

	if bad != nil {
		ex.Decision = DecisionMalformed
		ex.Error = bad.reason
		if bad.drop {
			return nil, ex
		}
		reply, err := rejectReply(q.header, bad.rcode)
		if err != nil {
			f.log.Warn("building response failed", "client", client, "rcode", rcodeName(bad.rcode), "err", err)
			ex.Error += "; building response: " + err.Error()
			return nil, ex
		}
		ex.RCode = rcodeName(bad.rcode)
		return reply, ex
	}

	if f.cfg.Allow != nil && !f.cfg.Allow(ex.Name) {
		ex.Decision = DecisionBlocked
		return f.synthesize(q, dnsmessage.RCodeNameError, &ex), ex
	}

	resp, err := f.forward(raw, q.question)
	if err != nil {
		ex.Decision = DecisionFailed
		ex.Error = strings.ReplaceAll(err.Error(), "\n", "; ")
		return f.synthesize(q, dnsmessage.RCodeServerFailure, &ex), ex
	}

	ex.Decision = DecisionForwarded
	binary.BigEndian.PutUint16(resp, q.header.ID)
	s := summarize(resp, q.question)
	ex.RCode = rcodeName(s.header.RCode)
	ex.CNAMEs, ex.Addresses, ex.TTL = s.cnames, s.addresses, s.ttl
	for _, a := range s.answers {
		ex.Records = append(ex.Records, a.record)
	}
	if s.err != nil {
		ex.Error = s.err.Error()
	}

	if transport == "udp" && len(resp) > q.udpLimit {
		reply, err := truncatedReply(q, s.header)
		if err != nil {
			f.log.Warn("building truncated response failed", "client", client, "name", ex.Name, "err", err)
			ex.Error = "building truncated response: " + err.Error()
			return nil, ex
		}
		return reply, ex
	}
	return resp, ex
}

// synthesize builds a response with rcode and the question, and records its
// rcode in ex. It returns nil, with the reason in ex, when building fails.
func (f *Forwarder) synthesize(q query, rcode dnsmessage.RCode, ex *Exchange) []byte {
	reply, err := questionReply(q, rcode)
	if err != nil {
		f.log.Warn("building response failed", "client", ex.Client, "name", ex.Name, "rcode", rcodeName(rcode), "err", err)
		msg := "building response: " + err.Error()
		if ex.Error != "" {
			msg = ex.Error + "; " + msg
		}
		ex.Error = msg
		return nil
	}
	ex.RCode = rcodeName(rcode)
	return reply
}

func (f *Forwarder) observe(ex Exchange) {
	f.log.Debug("query answered", "client", ex.Client, "name", ex.Name, "type", ex.Type,
		"decision", ex.Decision, "rcode", ex.RCode)
	if f.cfg.Observe != nil {
		f.cfg.Observe(ex)
	}
}
