package supervisor

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// Address families of struct sockaddr, the same on every Linux ABI.
const (
	afUnix  = 1
	afInet  = 2
	afInet6 = 10
	// afNetlink is AF_NETLINK: glibc's getaddrinfo asks the kernel for the
	// host's addresses through it.
	afNetlink = 16
)

// maxSockaddrLen is sizeof(struct sockaddr_storage); the kernel rejects a
// longer address length with EINVAL.
const maxSockaddrLen = 128

// Destination is a socket address copied from a sandboxed process.
type Destination struct {
	// Family is "inet", "inet6", "unix", "netlink" or "af<n>" for other
	// families.
	Family string
	Addr   netip.Addr
	Port   uint16
	// Path is a Unix socket path, or for an abstract socket its name
	// without the leading NUL.
	Path     string
	Abstract bool
	// NetlinkPID and NetlinkGroups are the fields of struct sockaddr_nl.
	NetlinkPID    uint32
	NetlinkGroups uint32
}

var errShortSockaddr = errors.New("socket address too short for its family")

// parseSockaddr decodes the bytes of a struct sockaddr as the kernel would
// read them: raw holds exactly the address length the caller passed.
func parseSockaddr(raw []byte) (Destination, error) {
	if len(raw) < 2 {
		return Destination{}, errShortSockaddr
	}
	family := binary.LittleEndian.Uint16(raw)
	switch family {
	case afInet:
		if len(raw) < 8 {
			return Destination{}, errShortSockaddr
		}
		return Destination{Family: "inet", Port: binary.BigEndian.Uint16(raw[2:]), Addr: netip.AddrFrom4([4]byte(raw[4:8]))}, nil
	case afInet6:
		if len(raw) < 24 {
			return Destination{}, errShortSockaddr
		}
		addr := netip.AddrFrom16([16]byte(raw[8:24]))
		if len(raw) >= 28 {
			if scope := binary.LittleEndian.Uint32(raw[24:]); scope != 0 {
				addr = addr.WithZone(strconv.FormatUint(uint64(scope), 10))
			}
		}
		return Destination{Family: "inet6", Port: binary.BigEndian.Uint16(raw[2:]), Addr: addr}, nil
	case afUnix:
		name := raw[2:]
		if len(name) == 0 {
			// An unnamed socket, as in autobind.
			return Destination{Family: "unix"}, nil
		}
		if name[0] == 0 {
			return Destination{Family: "unix", Abstract: true, Path: string(name[1:])}, nil
		}
		if i := indexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		return Destination{Family: "unix", Path: string(name)}, nil
	case afNetlink:
		if len(raw) < 12 {
			return Destination{}, errShortSockaddr
		}
		return Destination{Family: "netlink", NetlinkPID: binary.LittleEndian.Uint32(raw[4:]), NetlinkGroups: binary.LittleEndian.Uint32(raw[8:])}, nil
	default:
		return Destination{Family: "af" + strconv.Itoa(int(family))}, nil
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// String formats the destination for events: 192.0.2.1:443, [2001:db8::1]:53,
// /tmp/.X11-unix/X0 or @name for an abstract socket. Bytes that are not
// printable ASCII in a socket name are shown as \xNN.
func (d Destination) String() string {
	switch d.Family {
	case "inet", "inet6":
		return netip.AddrPortFrom(d.Addr, d.Port).String()
	case "unix":
		if d.Abstract {
			return "@" + printable(d.Path)
		}
		return printable(d.Path)
	case "netlink":
		return "netlink:" + strconv.FormatUint(uint64(d.NetlinkPID), 10)
	default:
		return d.Family
	}
}

func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '\\' {
			b.WriteByte(c)
			continue
		}
		b.WriteString(`\x`)
		b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
		b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
	}
	return b.String()
}
