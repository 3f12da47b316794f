//go:build linux

package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
)

// The response to an allowed exec is SECCOMP_USER_NOTIF_FLAG_CONTINUE, after
// which the kernel reads the path and argv again: a second thread can swap
// them in between. The post-exec check closes that gap after the fact. It
// watches the process until its exec has happened, then compares the
// running program (/proc/<pid>/exe) and its argument vector
// (/proc/<pid>/cmdline) with what was approved, and kills the process on a
// mismatch. A blocked program can therefore run at most for the interval
// between two looks, which the policy_race event records as window_us.
//
// The process is watched closely right after the approval, when an exec
// normally completes, and ever more loosely after that (an exec that
// failed leaves nothing to see). Whenever the process makes another
// supervised syscall, it is checked first, before that syscall is served.

// Polling schedule after an approval.
const (
	spinPhase   = 5 * time.Millisecond
	fastPhase   = 200 * time.Millisecond
	fastEvery   = 200 * time.Microsecond
	slowPhase   = 10 * time.Second
	slowEvery   = 50 * time.Millisecond
	idleEvery   = 500 * time.Millisecond
	maxApproved = 16
)

// approvedExec is one allowed exec, as the post-exec check expects to find
// it.
type approvedExec struct {
	path  string
	image string
	// final is the program that runs: the path, or a script's innermost
	// interpreter. file identifies it when known is set.
	final     string
	file      fileID
	known     bool
	argv      []string
	truncated bool
}

// execCheck watches one process between an approved exec and the moment
// it has happened.
type execCheck struct {
	mu       sync.Mutex
	p        *process
	pidfd    int
	gen      generation
	approved []approvedExec
	lastOld  time.Time // the last look that still found the old program
	done     bool
}

// readGeneration reads the memory layout of host pid's current program,
// which every exec replaces. It fails for a process that is gone or a
// zombie, and for one in the middle of an exec, whose new layout is not set
// up yet (errExecInProgress).
func readGeneration(hostPID int) (generation, error) {
	st, err := readStat("/proc/" + strconv.Itoa(hostPID) + "/stat")
	if err != nil {
		return generation{}, err
	}
	if st.state == 'Z' || st.state == 'X' {
		return generation{}, fmt.Errorf("process %d has exited", hostPID)
	}
	if st.startStack == 0 {
		return generation{}, errExecInProgress
	}
	return st.generation(), nil
}

var errExecInProgress = errors.New("exec in progress")

// armCheck records an approval for p. It takes ownership of pidfd. Locks
// are taken in the order check, then table, as in verify.
func (s *Supervisor) armCheck(p *process, gen generation, pidfd int, a approvedExec) {
	s.table.mu.Lock()
	c := p.check
	s.table.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		if !c.done && c.gen != gen {
			// The process changed since that check was armed; settle it
			// first so its approvals are not compared with this exec.
			c.mu.Unlock()
			s.verify(c)
			c.mu.Lock()
		}
		if c.done || c.gen != gen {
			c.mu.Unlock()
			c = nil
		}
	}
	if c == nil {
		c = &execCheck{p: p, pidfd: pidfd, gen: gen}
		c.mu.Lock()
		s.table.mu.Lock()
		p.check = c
		s.table.mu.Unlock()
		s.wg.Add(1)
		go s.watch(c)
	} else {
		unix.Close(pidfd)
	}
	if len(c.approved) == maxApproved {
		c.approved = c.approved[1:]
	}
	c.approved = append(c.approved, a)
	c.lastOld = time.Now()
	c.mu.Unlock()
}

// verifyPending runs p's check now, before one of its syscalls is served.
func (s *Supervisor) verifyPending(p *process) {
	s.table.mu.Lock()
	c := p.check
	s.table.mu.Unlock()
	if c != nil {
		s.verify(c)
	}
}

func (s *Supervisor) watch(c *execCheck) {
	defer s.wg.Done()
	start := time.Now()
	for !s.verify(c) {
		elapsed := time.Since(start)
		var wait time.Duration
		switch {
		case elapsed < spinPhase:
			runtime.Gosched()
			continue
		case elapsed < fastPhase:
			wait = fastEvery
		case elapsed < slowPhase:
			wait = slowEvery
		default:
			wait = idleEvery
		}
		select {
		case <-s.stop:
			s.finish(c)
			return
		case <-time.After(wait):
		}
	}
}

// verify looks at the process once. It returns true when the check is
// over: the exec happened and was compared, or the process is gone.
func (s *Supervisor) verify(c *execCheck) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return true
	}
	hostPID := c.p.HostPID
	now := time.Now()
	gen, err := readGeneration(hostPID)
	if errors.Is(err, errExecInProgress) {
		// The old program is gone and the new one has not run yet.
		return false
	}
	if err != nil {
		// Gone, or a zombie: whatever it ran can no longer be compared.
		s.markUnverified(c)
		s.finishLocked(c)
		return true
	}
	if gen == c.gen {
		c.lastOld = now
		return false
	}

	actual, err := readRunning(hostPID, s.cfg.ExecDirs)
	if err != nil {
		s.markUnverified(c)
		s.finishLocked(c)
		return true
	}
	if !actual.started {
		// The kernel replaces the memory map early in an exec and writes
		// the argument vector late. Until then there is nothing to
		// compare, and the new program has not run yet.
		return false
	}
	for _, a := range c.approved {
		if actual.readOnly && a.matches(actual) {
			s.table.mu.Lock()
			c.p.Exe = a.path
			c.p.Image = a.image
			c.p.Argv = actual.argv
			c.p.ArgvTruncated = actual.truncated
			c.p.Unverified = ""
			if a.image != "" {
				c.p.UnderWindows = true
			}
			s.table.mu.Unlock()
			s.finishLocked(c)
			return true
		}
	}

	// Not what was approved: kill first, then report.
	killErr := unix.PidfdSendSignal(c.pidfd, unix.SIGKILL, nil, 0)
	killed := time.Now()
	window := killed.Sub(c.lastOld)
	approved := make([]string, 0, len(c.approved))
	for _, a := range c.approved {
		approved = append(approved, quote(a.path))
	}
	fields := map[string]any{
		"approved": approved, "running": quote(actual.exe), "argv": quoteAll(actual.argv),
		"window_us": window.Microseconds(),
	}
	decision := audit.DecisionKilled
	detail := "the program that started differs from the one approved; it was killed"
	switch {
	case errors.Is(killErr, unix.ESRCH):
		decision = ""
		fields["kill"] = "already exited"
		detail = "the program that started differs from the one approved; it had already exited"
	case killErr != nil:
		decision = ""
		fields["kill"] = killErr.Error()
		detail = "the program that started differs from the one approved; killing it failed: " + killErr.Error()
	}
	s.emit(c.p, audit.Event{Kind: audit.KindPolicyRace, Decision: decision, Rule: "post_exec_check",
		Path: quote(actual.exe), Detail: detail, Fields: fields})
	s.log.Warn("policy race: killed a program that differs from the approved one", "pid", c.p.NSPID, "path", actual.exe, "window_us", window.Microseconds())
	s.finishLocked(c)
	return true
}

// markUnverified counts an allowed exec whose result could not be compared:
// the exec failed, or the program ended before the check saw it. The
// process keeps its last verified program, and its latest approval is
// recorded beside it.
func (s *Supervisor) markUnverified(c *execCheck) {
	s.unverified.Add(1)
	if len(c.approved) == 0 {
		return
	}
	a := c.approved[len(c.approved)-1]
	s.table.mu.Lock()
	c.p.Unverified = a.path
	if a.image != "" {
		c.p.UnderWindows = true
	}
	s.table.mu.Unlock()
}

func (s *Supervisor) finish(c *execCheck) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.finishLocked(c)
}

func (s *Supervisor) finishLocked(c *execCheck) {
	if c.done {
		return
	}
	c.done = true
	unix.Close(c.pidfd)
	s.table.mu.Lock()
	if c.p.check == c {
		c.p.check = nil
	}
	s.table.mu.Unlock()
}

// running is the program a process runs after an exec.
type running struct {
	exe       string
	file      fileID
	argv      []string
	truncated bool
	// started is false while the exec is still setting up: the kernel
	// gives every program at least one argument (an empty argv[0] when
	// the caller passed none), so an empty cmdline means not yet.
	started bool
	// readOnly is set when the program lies on a read-only mount; a
	// program anywhere else was never approved.
	readOnly bool
}

func readRunning(hostPID int, execDirs []string) (running, error) {
	proc := "/proc/" + strconv.Itoa(hostPID)
	exe, err := os.Readlink(proc + "/exe")
	if err != nil {
		return running{}, err
	}
	var st unix.Stat_t
	if err := unix.Stat(proc+"/exe", &st); err != nil {
		return running{}, err
	}
	var fs unix.Statfs_t
	readOnly := unix.Statfs(proc+"/exe", &fs) == nil && fs.Flags&unix.ST_RDONLY != 0
	readOnly = readOnly || inExecDir(exe, execDirs)

	f, err := os.Open(proc + "/cmdline")
	if err != nil {
		return running{}, err
	}
	defer f.Close()
	buf := make([]byte, maxArgBytes+1)
	n, _ := readFull(f, buf)

	r := running{exe: exe, file: fileID{dev: st.Dev, ino: st.Ino}, started: n > 0, readOnly: readOnly}
	data := buf[:n]
	if n > maxArgBytes {
		data = data[:maxArgBytes]
		r.truncated = true
	}
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) > 0 {
		for _, arg := range bytes.Split(data, []byte{0}) {
			if len(r.argv) == maxArgs {
				r.truncated = true
				break
			}
			r.argv = append(r.argv, string(arg))
		}
	}
	return r, nil
}

func readFull(f *os.File, buf []byte) (int, error) {
	total := 0
	for total < len(buf) {
		n, err := f.Read(buf[total:])
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// matches compares a running program with this approval: the same file (or,
// when the file was not known, the same name), and the same arguments as
// far as both copies reach.
func (a approvedExec) matches(r running) bool {
	if a.known {
		if a.file != r.file {
			return false
		}
	} else if path.Base(a.final) != path.Base(r.exe) {
		return false
	}
	return argvMatches(a.argv, a.truncated, r.argv, r.truncated)
}

// argvMatches compares two bounded copies of one argument vector. Where a
// copy was cut off, only the part both copies hold is compared, and a cut
// entry only as a prefix.
func argvMatches(want []string, wantCut bool, got []string, gotCut bool) bool {
	if !wantCut && !gotCut && len(want) != len(got) {
		return false
	}
	n := min(len(want), len(got))
	if !wantCut && !gotCut && n != len(want) {
		return false
	}
	for i := 0; i < n; i++ {
		w, g := want[i], got[i]
		last := i == n-1
		if last && (wantCut || gotCut) {
			if len(w) > len(g) {
				w, g = g, w
			}
			if !bytes.HasPrefix([]byte(g), []byte(w)) {
				return false
			}
			continue
		}
		if w != g {
			return false
		}
	}
	return true
}
