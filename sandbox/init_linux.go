//go:build linux

package sandbox

import (
	"encoding/binary"
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

	maxSpecSize = 16 << 20
	// supervisorAttached is the acknowledgement byte on the control pipe.
	supervisorAttached = 'S'

	// exitSetupFailed is the init stage's exit status when the sandbox
	// could not be built; the reason travels in the Report.
	exitSetupFailed = 125
)

// RunInit is the init stage: pid 1 of the sandbox's pid namespace. It
// builds the sandbox from the Spec, hands the seccomp listener to the
// supervisor, starts the target, forwards signals, reaps every process and
// returns the target's exit status.
func RunInit() int {
	// Capability changes and the fork of the target happen on this
	// thread; keep the goroutine on it.
	runtime.LockOSThread()

	control := os.NewFile(specFD, "spec")
	report := os.NewFile(reportFD, "report")
	syscall.CloseOnExec(specFD)
	syscall.CloseOnExec(reportFD)
	fail := func(err error) int {
		writeMessage(report, Report{Error: err.Error()})
		report.Close()
		return exitSetupFailed
	}

	spec, err := readSpec(control)
	if err != nil {
		return fail(err)
	}
	layers, listener, err := setup(spec)
	if err != nil {
		return fail(err)
	}

	// The supervisor takes the listener with pidfd_getfd while this
	// process waits on the control pipe: read and write are not
	// supervised, so the handoff cannot block on the filter. Only then
	// does anything run that the filter sends to the supervisor (the
	// fork below).
	writeMessage(report, Report{Layers: layers, NotifyFD: listener})
	if listener > 0 {
		if err := awaitSupervisor(control); err != nil {
			return fail(err)
		}
		unix.Close(listener)
	}
	control.Close()

	if spec.SharedPID {
		// Orphans come back to this process rather than to a
		// subreaper outside, so the sandbox's processes are exactly
		// the ones below it.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fail(fmt.Errorf("becoming a child subreaper: %w", err))
		}
	}
	pid, err := startTarget(spec)
	if err != nil {
		return fail(err)
	}
	writeMessage(report, Report{TargetPID: pid})
	report.Close()
	return supervise(pid, spec.SharedPID)
}

// readSpec reads the Spec, framed by a 4-byte big-endian length, from the
// control pipe. The pipe stays open for the supervisor's acknowledgement.
func readSpec(control *os.File) (*Spec, error) {
	var size [4]byte
	if _, err := io.ReadFull(control, size[:]); err != nil {
		return nil, fmt.Errorf("reading sandbox spec: %w", err)
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > maxSpecSize {
		return nil, fmt.Errorf("sandbox spec of %d bytes exceeds %d", n, maxSpecSize)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(control, data); err != nil {
		return nil, fmt.Errorf("reading sandbox spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("decoding sandbox spec: %w", err)
	}
	return &spec, spec.Validate()
}

// awaitSupervisor waits for the one byte the wrapper sends once its
// supervisor holds the listener. End of file means the wrapper gave up.
func awaitSupervisor(control *os.File) error {
	var ack [1]byte
	if _, err := io.ReadFull(control, ack[:]); err != nil {
		return fmt.Errorf("waiting for the supervisor: %w", err)
	}
	if ack[0] != supervisorAttached {
		return fmt.Errorf("waiting for the supervisor: unexpected byte %#x", ack[0])
	}
	return nil
}

// writeMessage sends one report message as a JSON line.
func writeMessage(f *os.File, r Report) {
	data, _ := json.Marshal(r)
	f.Write(append(data, '\n'))
}

// setup applies the Spec in order. Mounts and the hostname need the
// capabilities the user namespace grants, so they come first. Landlock needs
// no_new_privs. seccomp comes last, so none of the earlier steps has to pass
// the filter.
func setup(spec *Spec) ([]Layer, int, error) {
	if spec.NoNamespaces {
		return setupWithoutNamespaces(spec)
	}
	layers := []Layer{
		{Name: "namespaces", InForce: true, Detail: namespaceDetail(spec)},
	}

	// 1. Mount view: the target's whole filesystem.
	if err := mountView(spec.Mounts); err != nil {
		return nil, -1, fmt.Errorf("building the mount view: %w", err)
	}
	layers = append(layers, Layer{Name: "mount_view", InForce: true, Detail: fmt.Sprintf("%d mounts on a tmpfs root", len(spec.Mounts))})

	// 2. Hostname of the new uts namespace.
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return nil, -1, fmt.Errorf("setting hostname: %w", err)
		}
	}

	// 3. Loopback of a private network namespace.
	if spec.NewNetwork {
		if err := loopbackUp(); err != nil {
			return nil, -1, err
		}
	}

	// 4. Capabilities: nothing after this point needs them.
	if err := dropCapabilities(); err != nil {
		return nil, -1, err
	}
	layers = append(layers, Layer{Name: "capabilities", InForce: true, Detail: "all sets cleared, bounding set empty"})

	return restrict(spec, layers)
}

// setupWithoutNamespaces applies what a sandbox without namespaces has. The
// init stage holds no capability that needs dropping, and Landlock on the
// host's paths is the whole filesystem policy.
func setupWithoutNamespaces(spec *Spec) ([]Layer, int, error) {
	layers := []Layer{
		{Name: "namespaces", Detail: "none: the caller may not create namespaces (a Flatpak sandbox), so the sandbox shares its processes, IPC, network and hostname"},
		{Name: "mount_view", Detail: "none: the host's files as they are, limited by Landlock's rules"},
	}
	if err := clearCapabilitySets(); err != nil {
		return nil, -1, err
	}
	layers = append(layers, Layer{Name: "capabilities", InForce: true, Detail: "all sets cleared; the bounding set stays, unused under no_new_privs"})
	return restrict(spec, layers)
}

// restrict applies the steps every sandbox ends with: no_new_privs,
// Landlock and seccomp, appending their layers.
func restrict(spec *Spec, layers []Layer) ([]Layer, int, error) {
	// no_new_privs: required by Landlock and seccomp without privilege.
	if err := setNoNewPrivs(); err != nil {
		return nil, -1, err
	}
	layers = append(layers, Layer{Name: "no_new_privs", InForce: true})

	// Landlock. With the host's processes in view, its signal and ptrace
	// scoping is what keeps them out of reach, so it is never left out.
	layer, err := applyLandlock(spec.Landlock, spec.MinLandlockABI, spec.AllowDegraded && !spec.SharedPID)
	if err != nil {
		if spec.SharedPID {
			err = fmt.Errorf("%w (a sandbox that shares the process namespace needs Landlock's signal scoping, even degraded)", err)
		}
		return nil, -1, err
	}
	layers = append(layers, layer)

	// seccomp, last, so none of the earlier steps has to pass the filter.
	listener, seccompLayers, err := applySeccomp(spec)
	if err != nil {
		return nil, -1, err
	}
	return append(layers, seccompLayers...), listener, nil
}

// applySeccomp loads the filter, supervised when the Spec requests it. A
// kernel without user notification gets the deny table alone, but only
// with AllowDegraded.
func applySeccomp(spec *Spec) (int, []Layer, error) {
	listener, err := loadFilter(spec.Supervised)
	if err == nil {
		layers := []Layer{{Name: "seccomp", InForce: true, Detail: "x86_64 and i386 deny table, x32 refused"}}
		if spec.Supervised {
			layers = append(layers, Layer{Name: "supervisor", InForce: true, Detail: "exec, process creation and network destinations sent to the supervisor"})
		}
		return listener, layers, nil
	}
	if !spec.AllowDegraded {
		return -1, nil, fmt.Errorf("%w: run with --allow-degraded to start without it", err)
	}
	if spec.Supervised {
		if _, plainErr := loadFilter(false); plainErr == nil {
			return -1, []Layer{
				{Name: "seccomp", InForce: true, Detail: "x86_64 and i386 deny table, x32 refused"},
				{Name: "supervisor", Detail: err.Error()},
			}, nil
		}
	}
	return -1, []Layer{{Name: "seccomp", Detail: err.Error()}, {Name: "supervisor", Detail: "needs the seccomp filter"}}, nil
}

func namespaceDetail(spec *Spec) string {
	ns := "user, mount"
	if !spec.SharedPID {
		ns += ", pid"
	}
	if !spec.SharedIPC {
		ns += ", ipc"
	}
	ns += ", uts"
	if spec.NewNetwork {
		ns += ", net (loopback only)"
	}
	var shared []string
	if spec.SharedPID {
		shared = append(shared, "pid")
	}
	if spec.SharedIPC {
		shared = append(shared, "ipc")
	}
	if len(shared) > 0 {
		ns += "; " + strings.Join(shared, " and ") + " shared with the host"
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
