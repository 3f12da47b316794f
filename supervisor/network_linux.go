//go:build linux

package supervisor

import (
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/sandbox"
)

// Network telemetry observes; it does not enforce a destination policy.
// NOTE: Wine 8 performs a Windows program's connect() in wineserver, so such
// connections are attributed to wineserver, and its rate limit is shared by
// all Windows programs of the session.
// NOTE: the destination is copied before the call continues, so a program
// that rewrites its sockaddr in between is logged with the address it
// showed, not the one it reached. Enforcement must emulate the call
// instead.

// Per-process bookkeeping of network calls.
type netState struct {
	second   time.Time
	attempts int
	// sentTo holds destinations already logged for sends, so that a
	// stream of datagrams to one peer is one event and one attempt.
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

// handleNetwork logs where a connect or send goes and applies the
// per-process rate limit.
func (s *Supervisor) handleNetwork(req *sandbox.Request, c call, args [6]uint64) {
	p, err := s.table.resolve(req.PID, false)
	if err != nil {
		p = nil
	}
	if p != nil {
		s.verifyPending(p)
	}
	mem := memory{pid: req.PID, ptr: pointerSize(req.Arch)}
	dests := s.destinations(mem, c, args)
	if len(dests) == 0 {
		// A send without a destination goes to the connected peer.
		s.answer(s.listener.Continue(req.ID))
		return
	}
	proto := ""
	if p != nil && (dests[0].Family == "inet" || dests[0].Family == "inet6") {
		// The lock keeps the pidfd open while it is used.
		s.table.mu.Lock()
		proto = socketProto(p, int(int32(args[0])))
		s.table.mu.Unlock()
	}
	if s.listener.Valid(req.ID) != nil {
		return
	}

	// Decide under the table lock, which also guards netState.
	s.table.mu.Lock()
	var fresh []Destination
	allowed := true
	if p != nil {
		fresh = p.net.newDestinations(c, dests, proto)
		if c == callConnect || len(fresh) > 0 {
			allowed = p.net.attempt(s.cfg.ConnectRateLimit)
		}
	} else {
		fresh = dests
	}
	s.table.mu.Unlock()

	if !allowed {
		errno := unix.EAGAIN
		if c == callConnect {
			errno = unix.ECONNREFUSED
		}
		s.answer(s.listener.Deny(req.ID, errno))
		s.rates.refuse(p, c)
		return
	}
	s.answer(s.listener.Continue(req.ID))
	if !s.cfg.LogDestinations {
		return
	}
	for _, d := range fresh {
		fields := map[string]any{"syscall": c.String(), "family": d.Family}
		if req.Arch == sandbox.ArchI386 {
			fields["abi"] = "i386"
		}
		if proto != "" {
			fields["protocol"] = proto
		}
		if d.Family == "inet" || d.Family == "inet6" {
			fields["ip"] = d.Addr.String()
			fields["port"] = d.Port
		}
		s.emit(p, audit.Event{Kind: audit.KindNetwork, Decision: audit.DecisionAllow, Target: d.String(), Fields: fields})
	}
}

// destinations copies the socket addresses a call carries.
func (s *Supervisor) destinations(mem memory, c call, args [6]uint64) []Destination {
	var out []Destination
	add := func(addr, size uint64) {
		if addr == 0 || size == 0 {
			return
		}
		buf := make([]byte, min(size, maxSockaddrLen))
		if mem.read(addr, buf) != nil {
			return
		}
		if d, err := parseSockaddr(buf); err == nil {
			out = append(out, d)
		}
	}
	layout := layoutFor(mem.ptr)
	msgName := func(hdr []byte) (uint64, uint64) {
		var name uint64
		if mem.ptr == 4 {
			name = uint64(binary.LittleEndian.Uint32(hdr))
		} else {
			name = binary.LittleEndian.Uint64(hdr)
		}
		return name, uint64(binary.LittleEndian.Uint32(hdr[layout.namelenOff:]))
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

// socketProto names the protocol of the caller's socket fd ("tcp", "udp",
// "raw"), or "" when it cannot be read. It copies the descriptor with
// pidfd_getfd, which needs the same ptrace access as reading memory.
func socketProto(p *process, fd int) string {
	if p.pidfd < 0 {
		return ""
	}
	local, err := unix.PidfdGetfd(p.pidfd, fd, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(local)
	typ, err := unix.GetsockoptInt(local, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return ""
	}
	switch typ {
	case unix.SOCK_STREAM:
		return "tcp"
	case unix.SOCK_DGRAM:
		return "udp"
	case unix.SOCK_RAW:
		return "raw"
	}
	return "type" + strconv.Itoa(typ)
}

// newDestinations returns the destinations worth an event: every connect,
// and a send's destination the first time this process uses it.
func (n *netState) newDestinations(c call, dests []Destination, proto string) []Destination {
	if c == callConnect {
		return dests
	}
	if n.sentTo == nil || len(n.sentTo) >= maxSentTo {
		n.sentTo = map[string]struct{}{}
	}
	var fresh []Destination
	for _, d := range dests {
		key := proto + " " + d.String()
		if _, ok := n.sentTo[key]; !ok {
			n.sentTo[key] = struct{}{}
			fresh = append(fresh, d)
		}
	}
	return fresh
}

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
		s.emit(p, audit.Event{Kind: audit.KindRateLimit, Decision: audit.DecisionDeny, Rule: "network.connection_rate_limit",
			Detail: "connection attempts over " + strconv.Itoa(s.cfg.ConnectRateLimit) + " per second were refused",
			Fields: map[string]any{"refused": total, "by_syscall": byCall}})
	}
}
