package tests

import (
	"strings"
	"testing"
)

// TestSeccompInKernel runs calls whose result differs between a filter
// denial and the kernel's own error, through the x86_64 and the i386 ABI.
func TestSeccompInKernel(t *testing.T) {
	e := needSandbox(t)
	r := e.helperRun(t, nil, "syscalls")
	want := map[string]string{
		"clone3 x86_64":              "errno=38", // ENOSYS, so libc falls back to clone
		"clone3 i386":                "errno=38",
		"keyctl x86_64":              "errno=1",
		"keyctl i386":                "errno=1",
		"io_uring_setup x86_64":      "errno=1",
		"io_uring_setup i386":        "errno=1",
		"perf_event_open x86_64":     "errno=1",
		"open_tree x86_64":           "errno=1",
		"personality_no_aslr x86_64": "errno=1",
		"personality_query x86_64":   "ok",
		"getpid i386":                "ok",
	}
	got := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 4 && fields[0] == "RESULT" {
			got[fields[1]+" "+fields[2]] = fields[3]
		}
	}
	for call, w := range want {
		if got[call] != w {
			t.Errorf("%s: %q, want %q", call, got[call], w)
		}
	}
}

// TestTIOCLINUXDeniedByFilter: on a pseudo-terminal the kernel returns
// ENOTTY for TIOCLINUX, so EPERM comes from the filter. Both the plain
// command and one with high bits set are checked.
func TestTIOCLINUXDeniedByFilter(t *testing.T) {
	e := needSandbox(t)
	r := e.helperRun(t, nil, "tioclinux")
	for _, variant := range []string{"plain", "highbits"} {
		if !strings.Contains(r.stdout, "FAIL tioclinux "+variant+" errno=1\n") {
			t.Errorf("TIOCLINUX %s: want EPERM from the filter, got:\n%s", variant, r.stdout)
		}
	}
}
