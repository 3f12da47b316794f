//go:build linux

package sandbox

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrSetup reports that the init stage could not build the sandbox; the
// target never started.
var ErrSetup = errors.New("sandbox setup failed")

// Process is a running sandbox: the init stage and everything below it.
type Process struct {
	cmd    *exec.Cmd
	Report Report
	done   chan error
	// shared: the sandbox shares the caller's pid namespace, so what
	// outlives the init stage is swept when it ends.
	shared bool
	// Swept counts the processes killed after the init stage ended.
	Swept int
}

// Stdio holds the files the target's standard streams are connected to.
type Stdio struct {
	Stdin  *os.File
	Stdout *os.File
	Stderr *os.File
}

// Attach receives the seccomp listener of a supervised sandbox before the
// target starts, together with the init stage's pid and its setup report.
// From then on every supervised syscall waits for the supervisor's response.
type Attach func(l *Listener, initPID int, setup Report) error

// Start re-executes the current binary as the init stage inside new user,
// mount, pid, ipc and uts namespaces (pid and ipc unless the Spec shares
// them, none with NoNamespaces). It hands the init stage the Spec on an
// inherited pipe, passes the seccomp listener to attach when the Spec is
// supervised, and waits until the target has started or setup has failed.
func Start(spec *Spec, stdio Stdio, attach Attach) (*Process, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Supervised && attach == nil {
		return nil, errors.New("sandbox spec: supervised, but no supervisor to attach")
	}
	payload, err := spec.encode()
	if err != nil {
		return nil, fmt.Errorf("encoding sandbox spec: %w", err)
	}

	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	reportR, reportW, err := os.Pipe()
	if err != nil {
		specR.Close()
		specW.Close()
		return nil, err
	}

	flags := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWUTS)
	if !spec.SharedPID {
		flags |= unix.CLONE_NEWPID
	} else if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		// What outlives the init stage must come back here to be
		// killed, instead of going to a subreaper further up.
		specR.Close()
		specW.Close()
		reportR.Close()
		reportW.Close()
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}
	if !spec.SharedIPC {
		flags |= unix.CLONE_NEWIPC
	}
	if spec.NewNetwork {
		flags |= unix.CLONE_NEWNET
	}
	uidMap := []syscall.SysProcIDMap{{ContainerID: spec.UID, HostID: os.Getuid(), Size: 1}}
	gidMap := []syscall.SysProcIDMap{{ContainerID: spec.GID, HostID: os.Getgid(), Size: 1}}
	ambient := []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETPCAP}
	deathSignal := syscall.SIGKILL
	if spec.SharedPID {
		// Without a pid namespace of its own, the init stage's death
		// would leave the rest running: it gets SIGTERM instead, which
		// it passes on to every process below it before it escalates
		// to SIGKILL.
		deathSignal = syscall.SIGTERM
	}
	if spec.NoNamespaces {
		flags, uidMap, gidMap, ambient = 0, nil, nil, nil
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"winewarden", InitArg},
		Env:        []string{},
		Dir:        "/",
		Stdin:      stdio.Stdin,
		Stdout:     stdio.Stdout,
		Stderr:     stdio.Stderr,
		ExtraFiles: []*os.File{specR, reportW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			// The caller's own ids, not root: a sandboxed process has
			// no more rights on files than the user.
			UidMappings:                uidMap,
			GidMappings:                gidMap,
			GidMappingsEnableSetgroups: false,
			// Capabilities from the new user namespace are lost at exec
			// for a non-zero uid. Ambient ones survive into the init
			// stage, which clears them before the target starts.
			AmbientCaps: ambient,
			// The whole sandbox dies with the wrapper: pid 1 gets
			// SIGKILL, and the kernel kills the rest of its namespace.
			// This includes a supervisor that crashes, because it runs
			// in the wrapper's process.
			Pdeathsig: deathSignal,
			// Terminal signals reach the wrapper only; it forwards them
			// once.
			Setpgid: true,
		},
	}

	p := &Process{cmd: cmd, done: make(chan error, 1), shared: spec.SharedPID}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked the child exits,
		// so that thread must live as long as the child.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.done <- cmd.Wait()
	}()
	err = <-started
	specR.Close()
	reportW.Close()
	if err != nil {
		specW.Close()
		reportR.Close()
		return nil, fmt.Errorf("starting the sandbox init stage: %w", err)
	}
	defer specW.Close()
	messages := readMessages(reportR)
	deadline := time.After(reportTimeout)

	// fail ends a launch that went wrong after the init stage started.
	fail := func(err error) (*Process, error) {
		p.Kill()
		<-p.done
		return nil, err
	}

	if err := writeFramed(specW, payload); err != nil {
		return fail(fmt.Errorf("%w: sending the spec to the init stage: %v", ErrSetup, err))
	}
	setupReport, err := p.nextMessage(messages, deadline)
	if err != nil {
		return fail(err)
	}
	p.Report = setupReport
	if setupReport.NotifyFD > 0 {
		listener, err := takeListener(cmd.Process.Pid, setupReport.NotifyFD)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrSetup, err))
		}
		if err := attach(listener, cmd.Process.Pid, setupReport); err != nil {
			listener.Close()
			return fail(fmt.Errorf("%w: starting the supervisor: %v", ErrSetup, err))
		}
		if _, err := specW.Write([]byte{supervisorAttached}); err != nil {
			return fail(fmt.Errorf("%w: signalling the init stage: %v", ErrSetup, err))
		}
	} else if spec.Supervised && !spec.AllowDegraded {
		return fail(fmt.Errorf("%w: the init stage sent no seccomp listener", ErrSetup))
	}
	specW.Close()

	started2, err := p.nextMessage(messages, deadline)
	if err != nil {
		return fail(err)
	}
	p.Report.TargetPID = started2.TargetPID
	return p, nil
}

// writeFramed writes data after its length as a 4-byte big-endian number.
func writeFramed(w io.Writer, data []byte) error {
	if len(data) > maxSpecSize {
		return fmt.Errorf("sandbox spec of %d bytes exceeds %d", len(data), maxSpecSize)
	}
	var size [4]byte
	binary.BigEndian.PutUint32(size[:], uint32(len(data)))
	if _, err := w.Write(size[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// takeListener copies the init stage's listener descriptor into this
// process with pidfd_getfd, which needs ptrace access to the init stage:
// the same user and, under Yama's ptrace_scope 1, a descendant.
func takeListener(initPID, fd int) (*Listener, error) {
	pidfd, err := unix.PidfdOpen(initPID, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open of the init stage: %w", err)
	}
	defer unix.Close(pidfd)
	local, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		hint := ""
		if errors.Is(err, unix.EPERM) {
			hint = " (check /proc/sys/kernel/yama/ptrace_scope: values above 1 forbid it)"
		}
		return nil, fmt.Errorf("taking the seccomp listener from the init stage: %w%s", err, hint)
	}
	unix.CloseOnExec(local)
	return NewListener(local), nil
}

// reportTimeout bounds the sandbox setup; it takes milliseconds, so a longer
// wait means the init stage hangs, and the launch must not hang with it.
const reportTimeout = 30 * time.Second

type message struct {
	line []byte
	err  error
}

// readMessages delivers the report pipe's lines until end of file.
func readMessages(r *os.File) <-chan message {
	out := make(chan message, 2)
	go func() {
		defer r.Close()
		reader := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := reader.ReadBytes('\n')
			if len(line) > 0 && err == nil {
				out <- message{line: line}
				continue
			}
			if err == nil || errors.Is(err, io.EOF) {
				err = io.EOF
			}
			out <- message{err: err}
			close(out)
			return
		}
	}()
	return out
}

// nextMessage returns the next report message, or an error when the init
// stage reported one, exited or timed out.
func (p *Process) nextMessage(messages <-chan message, deadline <-chan time.Time) (Report, error) {
	var r Report
	select {
	case m := <-messages:
		if m.err != nil {
			return r, fmt.Errorf("%w: the init stage exited before reporting (%v)", ErrSetup, m.err)
		}
		if err := json.Unmarshal(m.line, &r); err != nil {
			return r, fmt.Errorf("%w: unreadable report from the init stage: %v", ErrSetup, err)
		}
		if r.Error != "" {
			return r, fmt.Errorf("%w: %s", ErrSetup, r.Error)
		}
		return r, nil
	case <-deadline:
		return r, fmt.Errorf("%w: the init stage did not report within %v and was killed", ErrSetup, reportTimeout)
	}
}

// Signal forwards a signal to the init stage, which passes it on to every
// process in the sandbox.
func (p *Process) Signal(sig os.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// Kill ends the sandbox at once.
func (p *Process) Kill() error {
	return p.cmd.Process.Kill()
}

// Pid is the init stage's pid in the caller's namespace.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the sandbox to end and returns the target's exit status
// (128+n when a signal ended it).
func (p *Process) Wait() (int, error) {
	err := <-p.done
	if p.shared {
		p.Swept = sweepOrphans()
	}
	state := p.cmd.ProcessState
	if state == nil {
		return -1, err
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), fmt.Errorf("the sandbox's init stage was killed by %s", unix.SignalName(ws.Signal()))
	}
	return state.ExitCode(), nil
}
