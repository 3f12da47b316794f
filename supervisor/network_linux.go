//go:build linux

package supervisor

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/sandbox"
)

// NOTE: Wine 8 performs a Windows program's connect() in wineserver, so such
// connections are attributed to wineserver, and its rate limit is shared by
// all Windows programs of the session.
// NOTE: in observe and offline mode a destination is copied before the call
// continues, so a program that rewrites its sockaddr in between is logged
// with the address it showed, not the one it reached. Offline mode is held
// by the network namespace; restrict mode emulates every call instead.

// Per-process bookkeeping of network calls.
type netState struct {
	second   time.Time
	attempts int
	// sentTo holds destinations already logged for sends and denials, so
	// that a stream of datagrams to one peer is one event and one attempt.
	sentTo map[string]struct{}
}

const (
	// maxSentTo bounds netState.sentTo; it is cleared when full.
	maxSentTo = 256
	// maxMmsg is UIO_MAXIOV, the kernel's cap on sendmmsg's vlen.
	maxMmsg = 1024
)

// Sizes of struct msghdr and struct mmsghdr, and the offsets of msg_name
// and msg_namelen, per ABI.
type msgLayout struct{ msghdr, mmsghdr, namelenOff int }

func layoutFor(ptr int) msgLayout {
	if ptr == 4 {
		return msgLayout{msghdr: 28, mmsghdr: 32, namelenOff: 4}
	}
	return msgLayout{msghdr: 56, mmsghdr: 64, namelenOff: 8}
}

// handleNetwork decides a connect or send. Calls in restrict mode and DNS
// queries to redirect are emulated. In observe mode everything else is
// logged, rate-limited and continued. Offline mode refuses it unless it
// stays on loopback.
func (s *Supervisor) handleNetwork(req *sandbox.Request, c call, args [6]uint64) {
	p, err := s.table.resolve(req.PID, false)
	if err != nil {
		p = nil
	}
	if p != nil {
		s.verifyPending(p)
	}
	mem := memory{pid: req.PID, ptr: pointerSize(req.Arch)}
	if s.cfg.Network.Mode == ModeRestrict || s.cfg.Network.SharedNetwork || s.cfg.Network.UnixSockets != nil {
		s.emulate(req, p, mem, c, args)
		return
	}
	dests := s.destinations(mem, c, args)
	if len(dests) == 0 {
		// A send without a destination goes to the connected peer.
		s.answer(s.listener.Continue(req.ID))
		return
	}
	sc, errno := copySocket(req.PID, s.leaderPidfd(req, p), int(int32(args[0])), false)
	if errno != 0 {
		// The kernel fails the call the same way.
		s.answer(s.listener.Continue(req.ID))
		return
	}
	defer sc.close()
	if s.listener.Valid(req.ID) != nil {
		return
	}
	verdicts := make([]destVerdict, len(dests))
	for i, d := range dests {
		verdicts[i] = s.decide(d, sc.typ)
		if verdicts[i].action == actRedirect {
			s.emulate(req, p, mem, c, args)
			return
		}
	}
	if !s.rateAllows(req, p, c, dests, sc.protocol()) {
		return
	}
	for i, v := range verdicts {
		if v.action == actDeny {
			s.answer(s.listener.Deny(req.ID, v.errno))
			s.report(req, p, c, sc.protocol(), dests[i], v, -1)
			return
		}
	}
	s.answer(s.listener.Continue(req.ID))
	for i, d := range dests {
		s.report(req, p, c, sc.protocol(), d, verdicts[i], -1)
	}
}

// decide gathers the facts about one destination and applies the policy.
func (s *Supervisor) decide(d Destination, sockType int) destVerdict {
	q := destQuery{mode: s.cfg.Network.Mode, rules: s.cfg.Network.Rules, dest: d, sockType: sockType,
		forwarder: s.cfg.Network.DNSUDP.IsValid(), sharedNetwork: s.cfg.Network.SharedNetwork,
		unixSockets: s.cfg.Network.UnixSockets}
	if d.Family == "inet" || d.Family == "inet6" {
		q.forwarderDest = s.isForwarder(d)
		_, q.seen, q.allowedAnswer = s.names.lookup(d.Addr)
	}
	return decideDestination(q)
}

// rateAllows applies the per-process rate limit to a connect, or to a
// send to a destination this process has not used before, and denies the
// call when the limit is reached.
func (s *Supervisor) rateAllows(req *sandbox.Request, p *process, c call, dests []Destination, proto string) bool {
	if p == nil {
		return true
	}
	s.table.mu.Lock()
	allowed := true
	if c == callConnect || p.net.hasNew(dests, proto) {
		allowed = p.net.attempt(s.cfg.ConnectRateLimit)
	}
	s.table.mu.Unlock()
	if allowed {
		return true
	}
	errno := unix.EAGAIN
	if c == callConnect {
		errno = unix.ECONNREFUSED
	}
	s.answer(s.listener.Deny(req.ID, errno))
	s.rates.refuse(p, c)
	return false
}

// report logs one destination: the event (once per process for sends and
// denials), the session's destination table and any anomaly. bytes is the
// payload the supervisor sent itself, or -1.
func (s *Supervisor) report(req *sandbox.Request, p *process, c call, proto string, d Destination, v destVerdict, bytes int64) {
	if d.Family == "af0" {
		// A disconnect (AF_UNSPEC) goes nowhere.
		return
	}
	decision := audit.DecisionAllow
	if v.action == actDeny {
		decision = audit.DecisionDeny
	}
	// glibc connects UDP sockets to port 0 of each address getaddrinfo
	// found, only to learn the source address for sorting. Nothing can be
	// sent to port 0, so these are not destinations.
	probe := c == callConnect && proto == "udp" && d.Port == 0 && decision == audit.DecisionAllow
	target := d.String()
	var domain string
	var names []string
	inet := d.Family == "inet" || d.Family == "inet6"
	if inet {
		names, _, _ = s.names.lookup(d.Addr)
		if len(names) > 0 {
			domain = names[len(names)-1]
		}
	}
	if inet && !probe {
		unique := s.stats.note(proto, target, domain, decision, bytes, time.Now())
		if limit := s.cfg.Network.MaxUniqueDestinations; limit > 0 && unique > limit && s.stats.anomaly(anomalyUniqueDestinations, "") {
			s.emit(p, audit.Event{Kind: audit.KindNetworkAnomaly, Rule: anomalyUniqueDestinations, Target: target,
				Detail: "more than " + strconv.Itoa(limit) + " unique destinations in this session",
				Fields: map[string]any{"limit": limit}})
		}
	}
	if v.anomaly != "" && !probe && s.stats.anomaly(v.anomaly, target) {
		fields := map[string]any{"protocol": proto}
		if domain != "" {
			fields["domain"] = domain
		}
		s.emit(p, audit.Event{Kind: audit.KindNetworkAnomaly, Rule: v.anomaly, Target: target, Decision: decision,
			Detail: anomalyDetail(v.anomaly), Fields: fields})
	}
	if !s.cfg.LogDestinations || probe {
		return
	}
	fresh := true
	if p != nil && (c != callConnect || decision == audit.DecisionDeny) {
		s.table.mu.Lock()
		fresh = p.net.firstUse(decision + " " + proto + " " + target)
		s.table.mu.Unlock()
	}
	if !fresh {
		return
	}
	fields := map[string]any{"syscall": c.String(), "family": d.Family, "mode": s.mode()}
	if req.Arch == sandbox.ArchI386 {
		fields["abi"] = "i386"
	}
	if proto != "" {
		fields["protocol"] = proto
	}
	if inet {
		fields["ip"] = d.Addr.String()
		fields["port"] = d.Port
		if domain != "" {
			fields["domain"] = domain
		}
		if len(names) > 1 {
			fields["domains"] = names
		}
	}
	s.emit(p, audit.Event{Kind: audit.KindNetwork, Decision: decision, Rule: v.rule, Target: target, Fields: fields})
}

func (s *Supervisor) mode() string {
	if s.cfg.Network.Mode == "" {
		return ModeObserve
	}
	return s.cfg.Network.Mode
}

func anomalyDetail(reason string) string {
	switch reason {
	case anomalyUnresolvedIP:
		return "connection or datagram to an address that no DNS answer of this session produced"
	case anomalyDeniedByPolicy:
		return "destination refused by the network policy"
	case anomalyRateLimit:
		return "connection attempts over the rate limit"
	case anomalyTXTQuery:
		return "DNS TXT query for a name not on allowed_domains"
	}
	return reason
}

// leaderPidfd returns p's pidfd when the calling thread is p's main
// thread, and -1 otherwise. Only a pidfd of the calling thread itself
// reads the descriptor table the call uses, because a thread may have
// unshared it.
func (s *Supervisor) leaderPidfd(req *sandbox.Request, p *process) int {
	if p == nil || req.PID != p.HostPID {
		return -1
	}
	s.table.mu.Lock()
	defer s.table.mu.Unlock()
	return p.pidfd
}

// destinations copies the socket addresses a call carries.
func (s *Supervisor) destinations(mem memory, c call, args [6]uint64) []Destination {
	var out []Destination
	// An address the kernel would reject (too short or too long) fails the
	// call, so it is no destination.
	add := func(addr, size uint64) {
		if d, errno := readAddr(mem, addr, size); errno == 0 && d != nil {
			out = append(out, *d)
		}
	}
	layout := layoutFor(mem.ptr)
	msgName := func(hdr []byte) (uint64, uint64) {
		f := parseMsghdr(hdr, mem.ptr)
		return f.name, f.namelen
	}
	switch c {
	case callConnect:
		add(args[1], args[2])
	case callSendto:
		add(args[4], args[5])
	case callSendmsg:
		hdr := make([]byte, layout.msghdr)
		if mem.read(args[1], hdr) == nil {
			add(msgName(hdr))
		}
	case callSendmmsg:
		n := int(min(args[2], maxMmsg))
		if n == 0 {
			return nil
		}
		vec := make([]byte, n*layout.mmsghdr)
		if mem.read(args[1], vec) != nil {
			return nil
		}
		for i := range n {
			add(msgName(vec[i*layout.mmsghdr:]))
		}
	}
	return out
}

// hasNew reports whether a send goes to a destination this process has
// not sent to before; those count against the rate limit.
func (n *netState) hasNew(dests []Destination, proto string) bool {
	for _, d := range dests {
		if !n.known("send " + proto + " " + d.String()) {
			return true
		}
	}
	return false
}

func (n *netState) known(key string) bool {
	if n.sentTo == nil || len(n.sentTo) >= maxSentTo {
		n.sentTo = map[string]struct{}{}
	}
	if _, ok := n.sentTo[key]; ok {
		return true
	}
	n.sentTo[key] = struct{}{}
	return false
}

// firstUse reports whether key is used for the first time by this process.
func (n *netState) firstUse(key string) bool { return !n.known(key) }

// attempt counts one connection attempt in the current second and
// reports whether it stays within limit.
func (n *netState) attempt(limit int) bool {
	now := time.Now()
	if now.Sub(n.second) >= time.Second {
		n.second = now
		n.attempts = 0
	}
	n.attempts++
	return n.attempts <= limit
}

// rateReporter sums up refusals of the rate limit, one event per process
// and second.
type rateReporter struct {
	mu      sync.Mutex
	refused map[*process]map[call]int
}

func (r *rateReporter) init() { r.refused = map[*process]map[call]int{} }

func (r *rateReporter) refuse(p *process, c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused[p] == nil {
		r.refused[p] = map[call]int{}
	}
	r.refused[p][c]++
}

func (r *rateReporter) flush(s *Supervisor) {
	r.mu.Lock()
	refused := r.refused
	r.refused = map[*process]map[call]int{}
	r.mu.Unlock()
	for p, calls := range refused {
		total := 0
		byCall := map[string]any{}
		for c, n := range calls {
			byCall[c.String()] = n
			total += n
		}
		pid := 0
		if p != nil {
			pid = p.NSPID
		}
		s.log.Warn("connection rate limit reached", "pid", pid, "refused", total, "limit", s.cfg.ConnectRateLimit)
		if s.stats.anomaly(anomalyRateLimit, "pid "+strconv.Itoa(pid)) {
			s.emit(p, audit.Event{Kind: audit.KindNetworkAnomaly, Rule: anomalyRateLimit, Decision: audit.DecisionDeny,
				Detail: anomalyDetail(anomalyRateLimit), Fields: map[string]any{"refused": total}})
		}
		s.emit(p, audit.Event{Kind: audit.KindRateLimit, Decision: audit.DecisionDeny, Rule: "network.connection_rate_limit",
			Detail: "connection attempts over " + strconv.Itoa(s.cfg.ConnectRateLimit) + " per second were refused",
			Fields: map[string]any{"refused": total, "by_syscall": byCall}})
	}
}
