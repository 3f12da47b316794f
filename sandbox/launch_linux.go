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
}

// Stdio holds the files the target's standard streams are connected to.
type Stdio struct {
	Stdin  *os.File
	Stdout *os.File
	Stderr *os.File
}

// Start re-executes the current binary as the init stage inside new user,
// mount, pid, ipc and uts namespaces, hands it the Spec on an inherited
// pipe, and waits until the target has started or setup has failed.
func Start(spec *Spec, stdio Stdio) (*Process, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
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

	flags := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	if spec.NewNetwork {
		flags |= unix.CLONE_NEWNET
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
			UidMappings:                []syscall.SysProcIDMap{{ContainerID: spec.UID, HostID: os.Getuid(), Size: 1}},
			GidMappings:                []syscall.SysProcIDMap{{ContainerID: spec.GID, HostID: os.Getgid(), Size: 1}},
			GidMappingsEnableSetgroups: false,
			// Capabilities from the new user namespace are lost at exec
			// for a non-zero uid. Ambient ones survive into the init
			// stage, which clears them before the target starts.
			AmbientCaps: []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETPCAP},
			// The whole sandbox dies with the wrapper: pid 1 gets
			// SIGKILL, and the kernel kills the rest of its namespace.
			Pdeathsig: syscall.SIGKILL,
			// Terminal signals reach the wrapper only; it forwards them
			// once.
			Setpgid: true,
		},
	}

	p := &Process{cmd: cmd, done: make(chan error, 1)}
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

	_, werr := specW.Write(payload)
	specW.Close()
	data, rerr := readReport(reportR, p)
	if errors.Is(rerr, errReportTimeout) {
		<-p.done
		return nil, fmt.Errorf("%w: the init stage did not report within %v and was killed", ErrSetup, reportTimeout)
	}
	if werr != nil || rerr != nil || len(data) == 0 {
		waitErr := <-p.done
		return nil, fmt.Errorf("%w: the init stage exited before reporting (%v)", ErrSetup, waitErr)
	}
	if err := json.Unmarshal(data, &p.Report); err != nil {
		p.Kill()
		<-p.done
		return nil, fmt.Errorf("%w: unreadable report from the init stage: %v", ErrSetup, err)
	}
	if p.Report.Error != "" {
		<-p.done
		return nil, fmt.Errorf("%w: %s", ErrSetup, p.Report.Error)
	}
	return p, nil
}

// reportTimeout bounds the sandbox setup; it takes milliseconds, so a longer
// wait means the init stage hangs, and the launch must not hang with it.
const reportTimeout = 30 * time.Second

var errReportTimeout = errors.New("report timeout")

func readReport(r *os.File, p *Process) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(r)
		done <- result{data, err}
	}()
	select {
	case res := <-done:
		r.Close()
		return res.data, res.err
	case <-time.After(reportTimeout):
		p.Kill()
		r.Close()
		return nil, errReportTimeout
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
	state := p.cmd.ProcessState
	if state == nil {
		return -1, err
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), fmt.Errorf("sandbox init stage killed by %v", ws.Signal())
	}
	return state.ExitCode(), nil
}
