//go:build linux

package supervisor

import (
	"encoding/binary"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/sandbox"
)

// netOp is one emulated connect, sendto, sendmsg or sendmmsg.
type netOp struct {
	req   *sandbox.Request
	p     *process
	mem   memory
	call  call
	sock  socketCopy
	msgs  []outMsg
	flags int
	// vec is the caller's mmsghdr array, where sendmmsg stores msg_len.
	vec uint64
	// verdicts holds one verdict per message; results holds what the
	// supervisor's own call returned for each.
	verdicts []destVerdict
	results  []int
}

// emulate runs the call in the supervisor. Every path ends in exactly one
// response.
func (s *Supervisor) emulate(req *sandbox.Request, p *process, mem memory, c call, args [6]uint64) {
	sc, errno := copySocket(req.PID, s.leaderPidfd(req, p), int(int32(args[0])), true)
	if errno != 0 {
		s.answer(s.listener.Deny(req.ID, errno))
		return
	}
	op := &netOp{req: req, p: p, mem: mem, call: c, sock: sc}
	if errno := op.read(args); errno != 0 {
		op.release()
		s.answer(s.listener.Deny(req.ID, errno))
		return
	}
	// Everything the call uses is copied now: the notification must still
	// be the one read, or the copies may belong to another thread.
	if s.listener.Valid(req.ID) != nil {
		op.release()
		return
	}

	var dests []Destination
	for i := range op.msgs {
		m := &op.msgs[i]
		if m.dest == nil {
			op.verdicts = append(op.verdicts, destVerdict{action: actEmulate})
			continue
		}
		v := s.decide(*m.dest, sc.typ)
		if v.action == actRedirect {
			fwd, _ := s.forwarderAddr(sc.family, sc.typ)
			m.dest = fwd
		} else {
			dests = append(dests, *m.dest)
		}
		op.verdicts = append(op.verdicts, v)
	}
	if len(dests) > 0 && !s.rateAllows(req, p, c, dests, sc.protocol()) {
		op.release()
		return
	}
	s.completeNet(op, false)
}

// onWorker finishes op on a worker goroutine, where it may block.
func (s *Supervisor) onWorker(op *netOp) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.workerSlots <- struct{}{}
		defer func() { <-s.workerSlots }()
		s.completeNet(op, true)
	}()
}

// read copies the call's arguments out of the caller.
func (op *netOp) read(args [6]uint64) unix.Errno {
	getfd := func(fd int) (int, error) { return getfd(op.req.PID, -1, fd) }
	switch op.call {
	case callConnect:
		d, errno := readAddr(op.mem, args[1], args[2])
		if errno != 0 {
			return errno
		}
		if d == nil {
			return unix.EINVAL
		}
		op.msgs = []outMsg{{dest: d}}
	case callSendto:
		d, errno := readAddr(op.mem, args[4], args[5])
		if errno != 0 {
			return errno
		}
		payload, truncated, errno := readPayload(op.mem, args[1], args[2])
		if errno != 0 {
			return errno
		}
		op.flags = int(int32(args[3]))
		op.msgs = []outMsg{{dest: d, payload: payload, truncated: truncated}}
	case callSendmsg:
		m, errno := readMsghdr(op.mem, args[1], getfd)
		if errno != 0 {
			return errno
		}
		op.flags = int(int32(args[2]))
		op.msgs = []outMsg{m}
	case callSendmmsg:
		n := min(args[2], maxMmsg)
		op.vec = args[1]
		op.flags = int(int32(args[3]))
		layout := layoutFor(op.mem.ptr)
		for i := range n {
			m, errno := readMsghdr(op.mem, args[1]+i*uint64(layout.mmsghdr), getfd)
			if errno != 0 {
				if i == 0 {
					return errno
				}
				break
			}
			op.msgs = append(op.msgs, m)
		}
	}
	for _, m := range op.msgs {
		if m.truncated && op.sock.typ != unix.SOCK_STREAM {
			return unix.EMSGSIZE
		}
	}
	return 0
}

// release closes the socket copy and the descriptors copied for
// SCM_RIGHTS.
func (op *netOp) release() {
	op.sock.close()
	for i := range op.msgs {
		op.msgs[i].closeFds()
	}
}

// completeNet runs the emulated call, responds and reports. onWorker is set on
// a worker goroutine, where blocking calls may block.
func (s *Supervisor) completeNet(op *netOp, onWorker bool) {
	handedOff := false
	defer func() {
		if !handedOff {
			op.release()
		}
	}()
	if op.call == callConnect {
		s.finishConnect(op, onWorker, &handedOff)
		return
	}
	sent := 0
	var firstErr unix.Errno
	for i := range op.msgs {
		m := &op.msgs[i]
		v := op.verdicts[i]
		if v.action == actDeny {
			firstErr = v.errno
			s.reportMsg(op, i, -1)
			break
		}
		sa, pathfd, errno := s.target(op, m)
		if errno != 0 {
			firstErr = errno
			break
		}
		n, err, done := sendOne(op.sock, m, sa, op.flags, onWorker)
		if pathfd >= 0 {
			unix.Close(pathfd)
		}
		if !done {
			// Only the first message can get here: later ones would
			// block, and sendmmsg returns what went out before them.
			if sent > 0 {
				break
			}
			handedOff = true
			s.onWorker(op)
			return
		}
		if err != nil {
			firstErr = errnoOf(err)
			break
		}
		op.results = append(op.results, n)
		sent++
		s.reportMsg(op, i, int64(n))
		s.noteDNSClient(op, v)
	}
	s.respondSend(op, sent, firstErr)
}

// target returns the address a message goes to, or nil for the connected
// peer.
func (s *Supervisor) target(op *netOp, m *outMsg) (unix.Sockaddr, int, unix.Errno) {
	if m.dest == nil {
		return nil, -1, 0
	}
	sa, pathfd, errno := sockaddr(m.dest, op.req.PID)
	if pathfd >= 0 && s.cfg.Network.UnixSockets != nil {
		// The socket file that was opened is the one checked: its
		// path after every symlink and relative to the caller's
		// directory, not the text the caller passed.
		real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(pathfd))
		if err != nil || !allowedSocket(s.cfg.Network.UnixSockets, real) {
			unix.Close(pathfd)
			if err == nil {
				d := *m.dest
				d.Path = real
				s.report(op.req, op.p, op.call, op.sock.protocol(), d,
					destVerdict{action: actDeny, errno: unix.EACCES, rule: "unix_socket"}, -1)
			}
			return nil, -1, unix.EACCES
		}
	}
	return sa, pathfd, errno
}

// finishConnect starts the connect on the loop. On a worker it waits for a
// connect the loop started. It sets handedOff when it passed op to a worker.
func (s *Supervisor) finishConnect(op *netOp, onWorker bool, handedOff *bool) {
	m := &op.msgs[0]
	v := op.verdicts[0]
	if v.action == actDeny {
		s.answer(s.listener.Deny(op.req.ID, v.errno))
		s.reportMsg(op, 0, -1)
		return
	}
	var err error
	if m.dest.Family == "af0" {
		err = sandbox.Disconnect(op.sock.fd)
	} else if onWorker {
		err = awaitConnect(op.sock.fd)
	} else {
		sa, pathfd, errno := s.target(op, m)
		if errno != 0 {
			s.answer(s.listener.Deny(op.req.ID, errno))
			return
		}
		var pending bool
		err, pending = connectStart(op.sock, sa)
		if pathfd >= 0 {
			unix.Close(pathfd)
		}
		if pending {
			*handedOff = true
			s.onWorker(op)
			return
		}
	}
	// A connect in progress (EINPROGRESS) has passed the check as well.
	s.noteDNSClient(op, v)
	if err != nil {
		s.answer(s.listener.Deny(op.req.ID, errnoOf(err)))
	} else {
		s.answer(s.listener.Return(op.req.ID, 0))
	}
	s.reportMsg(op, 0, -1)
}

// respondSend answers an emulated send with the byte count (sendto,
// sendmsg) or the number of messages sent (sendmmsg, whose msg_len fields
// the kernel would have filled in).
func (s *Supervisor) respondSend(op *netOp, sent int, firstErr unix.Errno) {
	if sent == 0 && firstErr != 0 {
		s.answer(s.listener.Deny(op.req.ID, firstErr))
		return
	}
	if op.call != callSendmmsg {
		s.answer(s.listener.Return(op.req.ID, int64(op.results[0])))
		return
	}
	layout := layoutFor(op.mem.ptr)
	for i, n := range op.results {
		var lenField [4]byte
		binary.LittleEndian.PutUint32(lenField[:], uint32(n))
		if err := op.mem.write(op.vec+uint64(i*layout.mmsghdr+layout.msghdr), lenField[:]); err != nil {
			s.log.Debug("writing msg_len back failed", "pid", op.req.PID, "err", err)
		}
	}
	s.answer(s.listener.Return(op.req.ID, int64(sent)))
}

// reportMsg reports message i of op, unless it went to the forwarder:
// the forwarder reports DNS queries itself.
func (s *Supervisor) reportMsg(op *netOp, i int, bytes int64) {
	m := op.msgs[i]
	if m.dest == nil || op.verdicts[i].action == actRedirect {
		return
	}
	s.report(op.req, op.p, op.call, op.sock.protocol(), *m.dest, op.verdicts[i], bytes)
}

// noteDNSClient remembers which process owns a socket just sent to the
// forwarder, so that the forwarder's report of the query names it.
func (s *Supervisor) noteDNSClient(op *netOp, v destVerdict) {
	if v.action != actRedirect || op.p == nil {
		return
	}
	sa, err := unix.Getsockname(op.sock.fd)
	if err != nil {
		return
	}
	var port int
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		port = a.Port
	case *unix.SockaddrInet6:
		port = a.Port
	default:
		return
	}
	s.dnsClients.put(op.sock.protocol(), port, op.p)
}
