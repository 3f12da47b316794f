//go:build linux

package supervisor

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Emulation runs a network call in the supervisor instead of in the
// caller: the supervisor copies the caller's socket with pidfd_getfd (the
// copy shares the open file, so connecting it connects the caller's
// socket), copies the address and data out of the caller's memory, checks
// the copy and makes the call itself. Nothing the caller changes after the
// copy reaches the kernel, which is what makes restrict mode hold against
// a program that rewrites its sockaddr while the call waits.

// pidfdThread is PIDFD_THREAD (Linux 6.9): a pidfd for one thread, whose
// pidfd_getfd reads that thread's descriptor table even after the thread
// unshared it.
const pidfdThread = unix.O_EXCL

// maxEmulationWorkers bounds the goroutines that wait in blocking calls
// (a connect on a blocking socket, a send into a full buffer). A further
// blocking call waits for a free worker.
const maxEmulationWorkers = 64

// socketCopy is the caller's socket, copied into the supervisor.
type socketCopy struct {
	fd     int
	family int
	typ    int
	// flags are the file status flags (F_GETFL) of the shared open file.
	flags    int
	nonblock bool
}

// copySocket copies descriptor fd of thread tid. leader is a pidfd of the
// thread's process when tid is the process's main thread, whose descriptor
// table that pidfd reads, and -1 otherwise. Only an emulated call needs
// the file status flags, so only withFlags reads them. The returned errno
// is what the caller's own call would have failed with.
func copySocket(tid, leader, fd int, withFlags bool) (socketCopy, unix.Errno) {
	local, err := getfd(tid, leader, fd)
	if err != nil {
		return socketCopy{fd: -1}, unix.EBADF
	}
	sc := socketCopy{fd: local}
	sc.family, err = unix.GetsockoptInt(local, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err == nil {
		sc.typ, err = unix.GetsockoptInt(local, unix.SOL_SOCKET, unix.SO_TYPE)
	}
	if err == nil && withFlags {
		sc.flags, err = unix.FcntlInt(uintptr(local), unix.F_GETFL, 0)
	}
	if err != nil {
		unix.Close(local)
		if errors.Is(err, unix.ENOTSOCK) {
			return socketCopy{fd: -1}, unix.ENOTSOCK
		}
		return socketCopy{fd: -1}, unix.EBADF
	}
	sc.nonblock = sc.flags&unix.O_NONBLOCK != 0
	return sc, 0
}

// getfd copies descriptor fd of thread tid into the supervisor, through
// leader (see copySocket) or a thread pidfd opened for the purpose.
func getfd(tid, leader, fd int) (int, error) {
	if leader >= 0 {
		return unix.PidfdGetfd(leader, fd, 0)
	}
	pidfd, err := unix.PidfdOpen(tid, pidfdThread)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pidfd)
	return unix.PidfdGetfd(pidfd, fd, 0)
}

func (sc socketCopy) close() {
	if sc.fd >= 0 {
		unix.Close(sc.fd)
	}
}

func (sc socketCopy) protocol() string {
	switch sc.family {
	case unix.AF_UNIX:
		return "unix"
	case unix.AF_NETLINK:
		return "netlink"
	}
	switch sc.typ {
	case unix.SOCK_STREAM:
		return "tcp"
	case unix.SOCK_DGRAM:
		return "udp"
	case unix.SOCK_RAW:
		return "raw"
	case unix.SOCK_SEQPACKET:
		return "seqpacket"
	}
	return "type" + strconv.Itoa(sc.typ)
}

// sockaddr converts a checked destination into the address the supervisor
// passes to the kernel. A Unix socket path is opened inside the caller's
// root first and then named through /proc/self/fd, so that it resolves in
// the sandbox's mount view and never follows a symlink out of it. The
// returned descriptor, if not -1, must be closed after the call.
func sockaddr(d *Destination, tid int) (unix.Sockaddr, int, unix.Errno) {
	switch d.Family {
	case "inet":
		// Passed on as AF_INET even to an IPv6 socket: the kernel then
		// decides as it would have for the caller (UDP accepts it, TCP
		// fails with EAFNOSUPPORT).
		return &unix.SockaddrInet4{Port: int(d.Port), Addr: d.Addr.As4()}, -1, 0
	case "inet6":
		sa := &unix.SockaddrInet6{Port: int(d.Port), Addr: d.Addr.As16()}
		if z := d.Addr.Zone(); z != "" {
			id, _ := strconv.ParseUint(z, 10, 32)
			sa.ZoneId = uint32(id)
		}
		return sa, -1, 0
	case "netlink":
		return &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: d.NetlinkPID, Groups: d.NetlinkGroups}, -1, 0
	case "unix":
		if d.Abstract || d.Path == "" {
			return nil, -1, unix.EINVAL
		}
		fd, err := openSocketAsCaller(tid, d.Path)
		if err != nil {
			var errno unix.Errno
			if errors.As(err, &errno) {
				return nil, -1, errno
			}
			return nil, -1, unix.ENOENT
		}
		return &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(fd)}, fd, 0
	}
	return nil, -1, unix.EAFNOSUPPORT
}

// openSocketAsCaller opens the Unix socket file at path as thread tid
// would find it, with O_PATH.
func openSocketAsCaller(tid int, path string) (int, error) {
	fd, err := openInCaller(tid, unix.AT_FDCWD, path, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		unix.Close(fd)
		return -1, unix.ECONNREFUSED
	}
	return fd, nil
}

// forwarderAddr returns the DNS forwarder's address for a socket of the
// given family and type.
func (s *Supervisor) forwarderAddr(family, typ int) (*Destination, bool) {
	ap := s.cfg.Network.DNSUDP
	if typ == unix.SOCK_STREAM {
		ap = s.cfg.Network.DNSTCP
	}
	if !ap.IsValid() {
		return nil, false
	}
	d := &Destination{Family: "inet", Addr: ap.Addr(), Port: ap.Port()}
	if family == unix.AF_INET6 {
		d.Family = "inet6"
		d.Addr = netip.AddrFrom16(ap.Addr().As16())
	}
	return d, true
}

// isForwarder reports whether d is one of the forwarder's own addresses.
func (s *Supervisor) isForwarder(d Destination) bool {
	ap := netip.AddrPortFrom(d.Addr.Unmap(), d.Port)
	return s.cfg.Network.DNSUDP.IsValid() && (ap == s.cfg.Network.DNSUDP || ap == s.cfg.Network.DNSTCP)
}

// connectStart begins the connect on the supervisor's loop without
// blocking it. A non-blocking socket gets its own connect's result. For a
// blocking socket O_NONBLOCK is set for the call and cleared again, and a
// connection that is not complete yet (anything but loopback, mostly) is
// reported as pending for awaitConnect on a worker.
// NOTE: another thread of the program that uses the same socket while its
// connect runs would see O_NONBLOCK for that moment. A Unix stream socket
// whose listener's backlog is full fails with EAGAIN here, where a blocking
// connect(2) would wait.
func connectStart(sc socketCopy, sa unix.Sockaddr) (err error, pending bool) {
	if sc.nonblock {
		return unix.Connect(sc.fd, sa), false
	}
	if _, err := unix.FcntlInt(uintptr(sc.fd), unix.F_SETFL, sc.flags|unix.O_NONBLOCK); err != nil {
		return err, false
	}
	err = unix.Connect(sc.fd, sa)
	unix.FcntlInt(uintptr(sc.fd), unix.F_SETFL, sc.flags)
	if !errors.Is(err, unix.EINPROGRESS) {
		return err, false
	}
	if done, err := connectResult(sc.fd, 0); done {
		return err, false
	}
	return nil, true
}

// awaitConnect waits for a pending connect as the blocking connect(2) would:
// until it completes, or for SO_SNDTIMEO, after which the caller gets
// EINPROGRESS.
func awaitConnect(fd int) error {
	timeout := -1
	if tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO); err == nil && (tv.Sec != 0 || tv.Usec != 0) {
		timeout = int(tv.Sec*1000 + tv.Usec/1000)
	}
	if done, err := connectResult(fd, timeout); done {
		return err
	}
	return unix.EINPROGRESS
}

// connectResult polls fd for the end of a connect for at most timeout
// milliseconds (-1: without limit) and returns its SO_ERROR.
func connectResult(fd, timeout int) (done bool, err error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	deadline := time.Now().Add(time.Duration(timeout) * time.Millisecond)
	for {
		_, err := unix.Poll(fds, timeout)
		if errors.Is(err, unix.EINTR) {
			if timeout > 0 {
				timeout = max(int(time.Until(deadline).Milliseconds()), 0)
			}
			continue
		}
		if err != nil {
			return true, err
		}
		break
	}
	if fds[0].Revents == 0 {
		return false, nil
	}
	soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return true, err
	}
	if soErr != 0 {
		return true, unix.Errno(soErr)
	}
	return true, nil
}

// sendOne sends one message on sc. With block unset it never blocks the
// supervisor's loop, and done=false means the send would block where the
// caller's own call would wait, so it must be repeated on a worker.
func sendOne(sc socketCopy, m *outMsg, sa unix.Sockaddr, flags int, block bool) (n int, err error, done bool) {
	flags |= unix.MSG_NOSIGNAL
	if block {
		n, err = unix.SendmsgN(sc.fd, m.payload, m.control, sa, flags)
		for errors.Is(err, unix.EINTR) {
			n, err = unix.SendmsgN(sc.fd, m.payload, m.control, sa, flags)
		}
		return n, err, true
	}
	n, err = unix.SendmsgN(sc.fd, m.payload, m.control, sa, flags|unix.MSG_DONTWAIT)
	wouldBlock := errors.Is(err, unix.EAGAIN)
	if wouldBlock && !sc.nonblock && flags&unix.MSG_DONTWAIT == 0 {
		return 0, nil, false
	}
	return n, err, true
}

// errnoOf turns an error of the supervisor's own call into the errno the
// caller gets.
func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}
