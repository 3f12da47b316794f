package sandbox

import (
	"strings"
	"testing"
)

func TestSpecValidateRejectsKernelTreeBinds(t *testing.T) {
	base := func(m Mount) *Spec {
		return &Spec{Argv: []string{"true"}, Dir: "/", Mounts: []Mount{m}}
	}
	bad := []Mount{
		{Kind: MountBind, Source: "/proc", Target: "/proc"},
		{Kind: MountBind, Source: "/home/a/x", Target: "/proc/1"},
		{Kind: MountBind, Source: "/home/a/x", Target: "/sys/kernel"},
		{Kind: MountBind, Source: "/home/a/x", Target: "/dev/shm/x"},
		{Kind: MountBind, Source: "relative", Target: "/x"},
		{Kind: MountBind, Source: "/x", Target: "/"},
		{Kind: "overlay", Target: "/x"},
	}
	for _, m := range bad {
		if err := base(m).Validate(); err == nil {
			t.Errorf("%+v: accepted", m)
		}
	}
	good := []Mount{
		{Kind: MountBind, Source: "/sys", Target: "/sys", ReadOnly: true},
		{Kind: MountBind, Source: "/dev/dri", Target: "/dev/dri", Device: true},
		{Kind: MountBind, Source: "/dev/null", Target: "/home/a/Games/g/ssfn1", File: true},
		{Kind: MountProc, Target: "/proc"},
	}
	for _, m := range good {
		if err := base(m).Validate(); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	if err := (&Spec{Dir: "/"}).Validate(); err == nil || !strings.Contains(err.Error(), "empty command") {
		t.Errorf("empty command: %v", err)
	}
}

func TestSpecValidateSharedNamespaces(t *testing.T) {
	spec := func(pid, ipc bool, m Mount) *Spec {
		return &Spec{Argv: []string{"true"}, Dir: "/", SharedPID: pid, SharedIPC: ipc, Mounts: []Mount{m}}
	}
	hostProc := Mount{Kind: MountBind, Source: "/proc", Target: "/proc"}
	hostShm := Mount{Kind: MountBind, Source: "/dev/shm", Target: "/dev/shm", NoExec: true}
	cases := []struct {
		spec *Spec
		ok   bool
	}{
		{spec(true, true, hostProc), true},
		{spec(true, true, hostShm), true},
		{spec(false, true, hostProc), false},
		{spec(true, false, hostShm), false},
		// A shared pid namespace has no procfs of its own to mount.
		{spec(true, true, Mount{Kind: MountProc, Target: "/proc"}), false},
		// Only the host's own /proc and /dev/shm, at their own paths.
		{spec(true, true, Mount{Kind: MountBind, Source: "/home/a/x", Target: "/proc"}), false},
		{spec(true, true, Mount{Kind: MountBind, Source: "/proc", Target: "/proc/1"}), false},
		{spec(true, true, Mount{Kind: MountBind, Source: "/home/a/x", Target: "/dev/shm"}), false},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		if (err == nil) != c.ok {
			t.Errorf("shared pid %v, ipc %v, %+v: error %v", c.spec.SharedPID, c.spec.SharedIPC, c.spec.Mounts[0], err)
		}
	}
	detail := namespaceDetail(&Spec{SharedPID: true, SharedIPC: true})
	if detail != "user, mount, uts; pid and ipc shared with the host" {
		t.Errorf("namespace detail %q", detail)
	}
}

func TestExecOnlyDirs(t *testing.T) {
	spec := &Spec{Landlock: []AccessRule{
		{Path: "/usr", Access: AccessExec},
		{Path: "/home/a/Games/g", Access: AccessExec},
		{Path: "/home/a/prefix", Access: AccessWrite},
		// A game inside its prefix may be written, so it is not exec-only.
		{Path: "/home/a/prefix/drive_c/Game", Access: AccessExec},
		// Nor is a tool holding a writable directory.
		{Path: "/opt/tool", Access: AccessExec},
		{Path: "/opt/tool/cache", Access: AccessWrite},
		{Path: "/etc", Access: AccessRead},
	}}
	got := spec.ExecOnlyDirs()
	want := []string{"/usr", "/home/a/Games/g"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("exec-only dirs %v, want %v", got, want)
	}
}

func TestSpecValidateNoNamespaces(t *testing.T) {
	ok := &Spec{Argv: []string{"true"}, Dir: "/", NoNamespaces: true, SharedPID: true, SharedIPC: true}
	if err := ok.Validate(); err != nil {
		t.Errorf("a spec without namespaces: %v", err)
	}
	for _, bad := range []*Spec{
		{Argv: []string{"true"}, Dir: "/", NoNamespaces: true, SharedIPC: true},
		{Argv: []string{"true"}, Dir: "/", NoNamespaces: true, SharedPID: true, SharedIPC: true, NewNetwork: true},
		{Argv: []string{"true"}, Dir: "/", NoNamespaces: true, SharedPID: true, SharedIPC: true, Hostname: "h"},
		{Argv: []string{"true"}, Dir: "/", NoNamespaces: true, SharedPID: true, SharedIPC: true, Mounts: []Mount{{Kind: MountTmpfs, Target: "/tmp"}}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
