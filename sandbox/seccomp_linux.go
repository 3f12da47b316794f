//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"syscall"

	seccomp "github.com/seccomp/libseccomp-golang"
)

// buildFilter compiles DeniedSyscalls for x86_64 and i386. x32 is not a
// filter architecture, so libseccomp sends x32 calls to the bad-arch action,
// which refuses them.
func buildFilter() (*seccomp.ScmpFilter, error) {
	filter, err := seccomp.NewFilter(seccomp.ActAllow)
	if err != nil {
		return nil, fmt.Errorf("seccomp: creating filter: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			filter.Release()
		}
	}()

	if err := filter.AddArch(seccomp.ArchX86); err != nil {
		return nil, fmt.Errorf("seccomp: adding the i386 ABI: %w", err)
	}
	if err := filter.SetBadArchAction(seccomp.ActErrno.SetReturnCode(int16(syscall.EPERM))); err != nil {
		return nil, fmt.Errorf("seccomp: setting the bad-arch action: %w", err)
	}
	// no_new_privs is set before the filter loads, by the init stage.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}

	for _, rule := range DeniedSyscalls {
		if err := addRule(filter, rule); err != nil {
			return nil, err
		}
	}
	ok = true
	return filter, nil
}

func addRule(filter *seccomp.ScmpFilter, rule SyscallRule) error {
	nr, err := seccomp.GetSyscallFromName(rule.Name)
	if err != nil {
		return fmt.Errorf("seccomp: syscall %q unknown to libseccomp: %w", rule.Name, err)
	}
	action := seccomp.ActErrno.SetReturnCode(int16(rule.Errno))
	if len(rule.Checks) == 0 {
		if err := filter.AddRule(nr, action); err != nil {
			return fmt.Errorf("seccomp: rule for %s: %w", rule.Name, err)
		}
		return nil
	}
	conds := make([]seccomp.ScmpCondition, 0, len(rule.Checks))
	for _, c := range rule.Checks {
		var cond seccomp.ScmpCondition
		var err error
		if c.Mask != 0 {
			cond, err = seccomp.MakeCondition(uint(c.Index), seccomp.CompareMaskedEqual, c.Mask, c.Value)
		} else {
			cond, err = seccomp.MakeCondition(uint(c.Index), seccomp.CompareEqual, c.Value)
		}
		if err != nil {
			return fmt.Errorf("seccomp: condition for %s: %w", rule.Name, err)
		}
		conds = append(conds, cond)
	}
	if err := filter.AddRuleConditional(nr, action, conds); err != nil {
		return fmt.Errorf("seccomp: conditional rule for %s: %w", rule.Name, err)
	}
	return nil
}

// loadFilter installs the filter on every thread of the calling process
// (libseccomp uses SECCOMP_FILTER_FLAG_TSYNC).
func loadFilter() error {
	filter, err := buildFilter()
	if err != nil {
		return err
	}
	defer filter.Release()
	if err := filter.Load(); err != nil {
		return fmt.Errorf("seccomp: loading filter: %w", err)
	}
	return nil
}

// CompiledFilter returns the classic BPF program of the filter, for tests
// and diagnostics.
func CompiledFilter() ([]byte, error) {
	filter, err := buildFilter()
	if err != nil {
		return nil, err
	}
	defer filter.Release()

	f, err := os.CreateTemp("", "winewarden-bpf-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("seccomp: exporting BPF: %w", err)
	}
	return os.ReadFile(f.Name())
}

// LibseccompVersion reports the libseccomp library in use.
func LibseccompVersion() string {
	major, minor, micro := seccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
