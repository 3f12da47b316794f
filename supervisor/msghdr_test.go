//go:build linux

package supervisor

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// cmsg32 encodes one i386 control message: a 12-byte header and 4-byte
// alignment.
func cmsg32(level, typ int32, data []byte) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(12+len(data)))
	out = binary.LittleEndian.AppendUint32(out, uint32(level))
	out = binary.LittleEndian.AppendUint32(out, uint32(typ))
	out = append(out, data...)
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	return out
}

// fakeGetfd hands out copies of /dev/null and records the numbers asked for.
func fakeGetfd(t *testing.T, asked *[]int) func(int) (int, error) {
	return func(fd int) (int, error) {
		*asked = append(*asked, fd)
		return unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
}

func TestNativeControlCompat(t *testing.T) {
	rights := binary.LittleEndian.AppendUint32(nil, 7)
	rights = binary.LittleEndian.AppendUint32(rights, 9)
	pktinfo := bytes.Repeat([]byte{1}, 12)
	raw := append(cmsg32(unix.SOL_SOCKET, unix.SCM_RIGHTS, rights), cmsg32(unix.IPPROTO_IP, unix.IP_PKTINFO, pktinfo)...)

	var asked []int
	out, fds, errno := nativeControl(raw, 4, fakeGetfd(t, &asked))
	if errno != 0 {
		t.Fatalf("nativeControl: %v", errno)
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	if len(asked) != 2 || asked[0] != 7 || asked[1] != 9 {
		t.Errorf("copied descriptors %v, want [7 9]", asked)
	}
	msgs, err := unix.ParseSocketControlMessage(out)
	if err != nil {
		t.Fatalf("native result does not parse: %v", err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d control messages, want 2", len(msgs))
	}
	got, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(got) != 2 || got[0] != fds[0] || got[1] != fds[1] {
		t.Errorf("SCM_RIGHTS carries %v (%v), want the copies %v", got, err, fds)
	}
	if msgs[1].Header.Level != unix.IPPROTO_IP || msgs[1].Header.Type != unix.IP_PKTINFO || !bytes.Equal(msgs[1].Data, pktinfo) {
		t.Errorf("second message %+v, want IP_PKTINFO with its data", msgs[1].Header)
	}
}

func TestNativeControlInvalid(t *testing.T) {
	var asked []int
	tests := map[string][]byte{
		"length below header": binary.LittleEndian.AppendUint32(make([]byte, 0), 4),
		"length past end":     append(binary.LittleEndian.AppendUint32(nil, 64), make([]byte, 8)...),
		"rights not whole":    cmsg32(unix.SOL_SOCKET, unix.SCM_RIGHTS, []byte{1, 2, 3}),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			if len(raw) < 12 {
				raw = append(raw, make([]byte, 12-len(raw))...)
			}
			if _, fds, errno := nativeControl(raw, 4, fakeGetfd(t, &asked)); errno != unix.EINVAL || fds != nil {
				t.Errorf("errno %v with %d descriptors, want EINVAL and none", errno, len(fds))
			}
		})
	}
}

func FuzzNativeControl(f *testing.F) {
	f.Add(cmsg32(unix.SOL_SOCKET, unix.SCM_RIGHTS, []byte{3, 0, 0, 0}), true)
	f.Add(unix.UnixRights(3, 4), false)
	f.Add(cmsg32(unix.IPPROTO_IP, unix.IP_TOS, []byte{1}), true)
	f.Fuzz(func(t *testing.T, raw []byte, compat bool) {
		ptr := 8
		if compat {
			ptr = 4
		}
		opened := 0
		getfd := func(int) (int, error) {
			opened++
			return unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		}
		out, fds, errno := nativeControl(raw, ptr, getfd)
		for _, fd := range fds {
			unix.Close(fd)
		}
		if errno != 0 {
			if fds != nil {
				t.Fatal("descriptors returned with an error")
			}
			return
		}
		if len(fds) != opened {
			t.Fatalf("%d descriptors returned, %d opened", len(fds), opened)
		}
		if _, err := unix.ParseSocketControlMessage(out); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}
