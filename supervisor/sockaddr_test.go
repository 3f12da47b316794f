package supervisor

import (
	"encoding/binary"
	"testing"
)

func sockaddrIn(ip [4]byte, port uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, afInet)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], ip[:])
	return b
}

func TestParseSockaddr(t *testing.T) {
	in6 := make([]byte, 28)
	binary.LittleEndian.PutUint16(in6, afInet6)
	binary.BigEndian.PutUint16(in6[2:], 53)
	in6[23] = 1 // ::1
	scoped := append([]byte{}, in6...)
	scoped[8], scoped[9] = 0xfe, 0x80
	binary.LittleEndian.PutUint32(scoped[24:], 2)

	unixPath := append([]byte{afUnix, 0}, "/tmp/.X11-unix/X0\x00garbage"...)
	abstract := append([]byte{afUnix, 0, 0}, "/tmp/.X11-unix/X0"...)
	binary := append([]byte{afUnix, 0, 0}, "a\x01\xff"...)

	tests := []struct {
		name string
		raw  []byte
		want string
		err  bool
	}{
		{"inet", sockaddrIn([4]byte{127, 0, 0, 1}, 443), "127.0.0.1:443", false},
		{"inet6", in6, "[::1]:53", false},
		{"inet6 with scope", scoped, "[fe80::1%2]:53", false},
		{"unix path stops at NUL", unixPath, "/tmp/.X11-unix/X0", false},
		{"abstract", abstract, "@/tmp/.X11-unix/X0", false},
		{"abstract with binary bytes", binary, `@a\x01\xff`, false},
		{"unnamed unix", []byte{afUnix, 0}, "", false},
		{"netlink", []byte{16, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}, "netlink:7", false},
		{"short netlink", []byte{16, 0, 0, 0}, "", true},
		{"other family", []byte{40, 0, 1, 2}, "af40", false},
		{"short inet", sockaddrIn([4]byte{1, 2, 3, 4}, 1)[:6], "", true},
		{"one byte", []byte{2}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseSockaddr(tt.raw)
			if (err != nil) != tt.err {
				t.Fatalf("parseSockaddr error = %v, want error %v", err, tt.err)
			}
			if err == nil && d.String() != tt.want {
				t.Errorf("destination %q, want %q", d.String(), tt.want)
			}
		})
	}
}

func FuzzParseSockaddr(f *testing.F) {
	f.Add(sockaddrIn([4]byte{10, 0, 0, 1}, 80))
	f.Add([]byte{afUnix, 0, 0, 'x'})
	f.Add([]byte{afInet6, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxSockaddrLen {
			raw = raw[:maxSockaddrLen]
		}
		d, err := parseSockaddr(raw)
		if err == nil {
			_ = d.String()
		}
	})
}
