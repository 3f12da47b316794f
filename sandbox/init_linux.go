//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// InitArg is the argument that makes the winewarden binary run as the
// sandbox init stage. Its configuration never travels in argv: the Spec
// arrives on specFD and the Report leaves on reportFD.
const InitArg = "__sandbox-init"

const (
	specFD   = 3
	reportFD = 4

	// exitSetupFailed is the init stage's exit status when the sandbox
	// could not be built; the reason travels in the Report.
	exitSetupFailed = 125
)

// RunInit is the init stage: pid 1 of the sandbox's pid namespace. It
// builds the sandbox from the Spec, starts the target, forwards signals,
// reaps every process and returns the target's exit status.
func RunInit() int {
	// Capability changes and the fork of the target happen on this
	// thread; keep the goroutine on it.
	runtime.LockOSThread()

	report := os.NewFile(reportFD, "report")
	syscall.CloseOnExec(reportFD)
	fail := func(err error) int {
		writeReport(report, Report{Error: err.Error()})
		return exitSetupFailed
	}

	spec, err := readSpec()
	if err != nil {
		return fail(err)
	}
	layers, err := setup(spec)
	if err != nil {
		return fail(err)
	}
	pid, err := startTarget(spec)
	if err != nil {
		return fail(err)
	}
	writeReport(report, Report{Layers: layers, TargetPID: pid})
	return supervise(pid)
}

func readSpec() (*Spec, error) {
	f := os.NewFile(specFD, "spec")
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading sandbox spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("decoding sandbox spec: %w", err)
	}
	return &spec, spec.Validate()
}

func writeReport(f *os.File, r Report) {
	data, _ := json.Marshal(r)
	f.Write(data)
	f.Close()
}

// setup applies the Spec in order. Mounts and the hostname need the
// capabilities the user namespace grants, so they come first. Landlock needs
// no_new_privs. seccomp comes last, so none of the earlier steps has to pass
// the filter.
func setup(spec *Spec) ([]Layer, error) {
	layers := []Layer{
		{Name: "namespaces", InForce: true, Detail: namespaceDetail(spec)},
	}

	// 1. Mount view: the target's whole filesystem.
	if err := mountView(spec.Mounts); err != nil {
		return nil, fmt.Errorf("building the mount view: %w", err)
	}
	layers = append(layers, Layer{Name: "mount_view", InForce: true, Detail: fmt.Sprintf("%d mounts on a tmpfs root", len(spec.Mounts))})

	// 2. Hostname of the new uts namespace.
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return nil, fmt.Errorf("setting hostname: %w", err)
		}
	}

	// 3. Loopback of a private network namespace.
	if spec.NewNetwork {
		if err := loopbackUp(); err != nil {
			return nil, err
		}
	}

	// 4. Capabilities: nothing after this point needs them.
	if err := dropCapabilities(); err != nil {
		return nil, err
	}
	layers = append(layers, Layer{Name: "capabilities", InForce: true, Detail: "all sets cleared, bounding set empty"})

	// 5. no_new_privs: required by Landlock and seccomp without privilege.
	if err := setNoNewPrivs(); err != nil {
		return nil, err
	}
	layers = append(layers, Layer{Name: "no_new_privs", InForce: true})

	// 6. Landlock.
	layer, err := applyLandlock(spec.Landlock, spec.MinLandlockABI, spec.AllowDegraded)
	if err != nil {
		return nil, err
	}
	layers = append(layers, layer)

	// 7. seccomp, last.
	if err := loadFilter(); err != nil {
		if !spec.AllowDegraded {
			return nil, fmt.Errorf("%w: run with --allow-degraded to start without the syscall filter", err)
		}
		layers = append(layers, Layer{Name: "seccomp", Detail: err.Error()})
	} else {
		layers = append(layers, Layer{Name: "seccomp", InForce: true, Detail: "x86_64 and i386 deny table, x32 refused"})
	}
	return layers, nil
}

func namespaceDetail(spec *Spec) string {
	ns := "user, mount, pid, ipc, uts"
	if spec.NewNetwork {
		ns += ", net (loopback only)"
	}
	return ns
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	ifr.SetUint16(unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	return nil
}

// startTarget starts the target in a new session, so it has no controlling
// terminal, from the thread whose capabilities were cleared.
func startTarget(spec *Spec) (int, error) {
	path := spec.Argv[0]
	if !strings.Contains(path, "/") {
		for _, kv := range spec.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				os.Setenv("PATH", v)
			}
		}
		found, err := exec.LookPath(path)
		if err != nil {
			return 0, fmt.Errorf("command %q not found in the sandbox's PATH", path)
		}
		path = found
	}
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	pid, err := syscall.ForkExec(path, spec.Argv, attr)
	if err != nil {
		if errors.Is(err, syscall.EACCES) {
			return 0, fmt.Errorf("starting %s: %w (the sandbox only executes files from read-only locations)", path, err)
		}
		return 0, fmt.Errorf("starting %s: %w", path, err)
	}
	return pid, nil
}
