package sandbox

import (
	"strings"
	"testing"
)

func TestLandlockMode(t *testing.T) {
	cases := []struct {
		abi, min int
		degraded bool
		want     landlockModeKind
		err      string
	}{
		{abi: 7, min: 6, want: landlockExact},
		{abi: 6, min: 6, want: landlockExact},
		{abi: 5, min: 6, err: "kernel ABI 5, the sandbox needs 6"},
		{abi: 0, min: 6, err: "--allow-degraded"},
		{abi: 5, min: 6, degraded: true, want: landlockBestEffort},
		{abi: 1, min: 6, degraded: true, want: landlockBestEffort},
		{abi: 0, min: 6, degraded: true, want: landlockOff},
		{abi: 7, min: 6, degraded: true, want: landlockExact},
	}
	for _, c := range cases {
		got, err := landlockMode(c.abi, c.min, c.degraded)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("abi %d min %d degraded %v: error %v, want one containing %q", c.abi, c.min, c.degraded, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("abi %d min %d degraded %v: %v, %v; want %v", c.abi, c.min, c.degraded, got, err, c.want)
		}
	}
}
