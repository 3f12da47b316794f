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
