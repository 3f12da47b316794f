//go:build linux

package supervisor

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Bounds on what an emulated send copies. A datagram larger than
// maxEmulatedPayload fails with EMSGSIZE, as UDP cannot carry more than
// 65,507 bytes anyway. A stream send is cut there and reports the shorter
// count, which send(2) allows. maxControl is above the kernel's default
// net.core.optmem_max.
const (
	maxEmulatedPayload = 256 << 10
	maxIovecs          = 1024 // UIO_MAXIOV
	maxControl         = 64 << 10
	maxRightsFds       = 253 // SCM_MAX_FD
)

// outMsg is one message of an emulated send, copied out of the caller.
type outMsg struct {
	// dest is nil for a send to the connected peer.
	dest    *Destination
	payload []byte
	// truncated is set when payload was cut at maxEmulatedPayload.
	truncated bool
	// control is in the supervisor's native layout, with the caller's
	// descriptors already replaced by copies (listed in fds).
	control []byte
	fds     []int
}

// closeFds closes the descriptors the message copied from the caller.
func (m *outMsg) closeFds() {
	for _, fd := range m.fds {
		unix.Close(fd)
	}
	m.fds = nil
}

// readAddr copies a struct sockaddr of size bytes from addr.
func readAddr(mem memory, addr, size uint64) (*Destination, unix.Errno) {
	if addr == 0 {
		return nil, 0
	}
	if size > maxSockaddrLen || size < 2 {
		return nil, unix.EINVAL
	}
	buf := make([]byte, size)
	if mem.read(addr, buf) != nil {
		return nil, unix.EFAULT
	}
	d, err := parseSockaddr(buf)
	if err != nil {
		return nil, unix.EINVAL
	}
	return &d, 0
}

// readPayload copies size bytes from addr, cut at maxEmulatedPayload.
func readPayload(mem memory, addr, size uint64) ([]byte, bool, unix.Errno) {
	truncated := size > maxEmulatedPayload
	size = min(size, maxEmulatedPayload)
	if size == 0 {
		return nil, false, 0
	}
	buf := make([]byte, size)
	if mem.readBulk(addr, buf) != nil {
		return nil, false, unix.EFAULT
	}
	return buf, truncated, 0
}

// readMsghdr copies the struct msghdr at addr with everything it points
// to: the destination, the data of every iovec and the control messages.
// getfd copies the caller's descriptors named in SCM_RIGHTS.
func readMsghdr(mem memory, addr uint64, getfd func(int) (int, error)) (outMsg, unix.Errno) {
	hdr := make([]byte, layoutFor(mem.ptr).msghdr)
	if mem.read(addr, hdr) != nil {
		return outMsg{}, unix.EFAULT
	}
	f := parseMsghdr(hdr, mem.ptr)
	name, namelen, iov, iovlen, control, controllen := f.name, f.namelen, f.iov, f.iovlen, f.control, f.controllen

	var m outMsg
	var errno unix.Errno
	if name != 0 && namelen != 0 {
		if m.dest, errno = readAddr(mem, name, namelen); errno != 0 {
			return outMsg{}, errno
		}
	}
	if m.payload, m.truncated, errno = readIovecs(mem, iov, iovlen); errno != 0 {
		return outMsg{}, errno
	}
	if control != 0 && controllen != 0 {
		if controllen > maxControl {
			return outMsg{}, unix.ENOBUFS
		}
		raw := make([]byte, controllen)
		if mem.read(control, raw) != nil {
			return outMsg{}, unix.EFAULT
		}
		if m.control, m.fds, errno = nativeControl(raw, mem.ptr, getfd); errno != 0 {
			return outMsg{}, errno
		}
	}
	return m, 0
}

// msghdrFields are the fields of a struct msghdr, widened to 64 bits.
type msghdrFields struct {
	name, namelen, iov, iovlen, control, controllen uint64
}

// parseMsghdr decodes a struct msghdr of the ABI whose pointers are ptr
// bytes wide. Field order: name, namelen, iov, iovlen, control,
// controllen, flags. namelen is 32 bits wide on both ABIs.
func parseMsghdr(hdr []byte, ptr int) msghdrFields {
	word := func(i int) uint64 {
		if ptr == 4 {
			return uint64(binary.LittleEndian.Uint32(hdr[i*4:]))
		}
		return binary.LittleEndian.Uint64(hdr[i*8:])
	}
	return msghdrFields{
		name:    word(0),
		namelen: uint64(binary.LittleEndian.Uint32(hdr[layoutFor(ptr).namelenOff:])),
		iov:     word(2), iovlen: word(3), control: word(4), controllen: word(5),
	}
}

// readIovecs gathers the data of an iovec array into one buffer.
func readIovecs(mem memory, addr, count uint64) ([]byte, bool, unix.Errno) {
	if count > maxIovecs {
		return nil, false, unix.EMSGSIZE
	}
	if count == 0 {
		return nil, false, 0
	}
	entry := uint64(2 * mem.ptr)
	vec := make([]byte, count*entry)
	if mem.read(addr, vec) != nil {
		return nil, false, unix.EFAULT
	}
	var out []byte
	for i := range count {
		e := vec[i*entry:]
		var base, size uint64
		if mem.ptr == 4 {
			base, size = uint64(binary.LittleEndian.Uint32(e)), uint64(binary.LittleEndian.Uint32(e[4:]))
		} else {
			base, size = binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])
		}
		room := uint64(maxEmulatedPayload - len(out))
		if size > room {
			part, _, errno := readPayload(mem, base, room)
			if errno != 0 {
				return nil, false, errno
			}
			return append(out, part...), true, 0
		}
		part, _, errno := readPayload(mem, base, size)
		if errno != 0 {
			return nil, false, errno
		}
		out = append(out, part...)
	}
	return out, false, 0
}

// nativeControl re-encodes control messages of the caller's ABI (ptr is 4
// for i386, whose struct cmsghdr has a 32-bit length and 4-byte alignment)
// in the supervisor's layout, and replaces the descriptors of SCM_RIGHTS
// with copies from getfd. On error it closes the copies it made.
func nativeControl(raw []byte, ptr int, getfd func(int) (int, error)) ([]byte, []int, unix.Errno) {
	hdrLen := 16
	if ptr == 4 {
		hdrLen = 12
	}
	align := func(n int) int { return (n + ptr - 1) &^ (ptr - 1) }
	var out []byte
	var fds []int
	fail := func(errno unix.Errno) ([]byte, []int, unix.Errno) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, nil, errno
	}
	for off := 0; off+hdrLen <= len(raw); {
		var length int
		if ptr == 4 {
			length = int(binary.LittleEndian.Uint32(raw[off:]))
		} else {
			l := binary.LittleEndian.Uint64(raw[off:])
			if l > uint64(len(raw)) {
				return fail(unix.EINVAL)
			}
			length = int(l)
		}
		if length < hdrLen || off+length > len(raw) {
			return fail(unix.EINVAL)
		}
		level := int32(binary.LittleEndian.Uint32(raw[off+hdrLen-8:]))
		typ := int32(binary.LittleEndian.Uint32(raw[off+hdrLen-4:]))
		data := raw[off+hdrLen : off+length]
		if level == unix.SOL_SOCKET && typ == unix.SCM_RIGHTS {
			if len(data)%4 != 0 || len(fds)+len(data)/4 > maxRightsFds {
				return fail(unix.EINVAL)
			}
			var copies []int
			for i := 0; i < len(data); i += 4 {
				local, err := getfd(int(int32(binary.LittleEndian.Uint32(data[i:]))))
				if err != nil {
					for _, fd := range copies {
						unix.Close(fd)
					}
					return fail(unix.EBADF)
				}
				copies = append(copies, local)
			}
			fds = append(fds, copies...)
			out = append(out, unix.UnixRights(copies...)...)
		} else {
			out = appendCmsg(out, level, typ, data)
		}
		off += align(length)
	}
	return out, fds, 0
}

// appendCmsg appends one control message in the native x86_64 layout.
func appendCmsg(out []byte, level, typ int32, data []byte) []byte {
	var hdr [16]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(16+len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(level))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(typ))
	out = append(out, hdr[:]...)
	out = append(out, data...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	return out
}
