//go:build linux

package supervisor

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/sandbox"
)

// inflightFor is how long an allowed fork counts as a process before it
// shows up in the sandbox's /proc. The kernel creates the child as soon
// as the call continues, well within this time.
// NOTE: on a heavily loaded machine a fork that takes longer than this
// can let the count exceed the limit by the number of such forks.
const inflightFor = 20 * time.Millisecond

// forkLimiter enforces max_child_processes and sums up its refusals.
type forkLimiter struct {
	mu sync.Mutex
	// inflight holds the times of allowed forks whose child was not yet
	// seen in /proc, oldest first; lastLive is the count at the last look.
	inflight []time.Time
	lastLive int
	refused  map[*process]int
}

// handleFork decides a fork, vfork or clone that creates a process.
func (s *Supervisor) handleFork(req *sandbox.Request) {
	p, err := s.table.resolve(req.PID, true)
	if err != nil {
		if s.listener.Valid(req.ID) == nil {
			s.answer(s.listener.Deny(req.ID, unix.EAGAIN))
		}
		return
	}
	s.verifyPending(p)

	live, pids, err := s.table.liveCount()
	if err != nil {
		if s.listener.Valid(req.ID) == nil {
			s.answer(s.listener.Deny(req.ID, unix.EAGAIN))
			s.emit(p, audit.Event{Kind: audit.KindProcessLimit, Decision: audit.DecisionDeny, Rule: "process.max_child_processes",
				Detail: "counting the sandbox's processes failed: " + err.Error()})
		}
		return
	}

	max := s.cfg.Process.MaxChildProcesses
	if !s.limits.admit(live, max) {
		s.answer(s.listener.Deny(req.ID, unix.EAGAIN))
		s.limits.refuse(s, p, live, max)
		return
	}
	if s.listener.Valid(req.ID) != nil {
		return
	}

	known := childrenOf(req.PID)
	s.table.noteFork(p)
	s.answer(s.listener.Continue(req.ID))
	// Wine starts programs with a double fork whose middle process exits
	// at once, so the child is looked for right away, then in the
	// background.
	if !s.captureOnce(p, req.PID, known, syncCapture) {
		s.wg.Add(1)
		go s.captureChild(p, req.PID, known)
	}
	s.table.register(pids)
}

// syncCapture bounds the wait for a forked child on the notification loop.
const syncCapture = 300 * time.Microsecond

// captureChild registers the process a fork creates under its real parent
// while that parent is known. Registering it later, from /proc, would find
// an orphan if the parent exited in between: the kernel does not remember
// the original parent.
func (s *Supervisor) captureChild(parent *process, tid int, before map[int]bool) {
	defer s.wg.Done()
	s.captureOnce(parent, tid, before, captureFor)
}

// captureOnce looks for a new child of thread tid for up to wait and
// registers it; it reports whether it found one.
func (s *Supervisor) captureOnce(parent *process, tid int, before map[int]bool, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		for host := range childrenOf(tid) {
			if before[host] {
				continue
			}
			if _, ns, err := threadIDs(host); err == nil {
				s.table.registerChild(parent, ns)
			}
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
	}
}

// captureFor bounds the wait for a forked child to appear.
const captureFor = 20 * time.Millisecond

// childrenOf lists the host pids of thread tid's children.
func childrenOf(tid int) map[int]bool {
	id := strconv.Itoa(tid)
	data, err := os.ReadFile("/proc/" + id + "/task/" + id + "/children")
	if err != nil {
		return nil
	}
	out := map[int]bool{}
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out[pid] = true
		}
	}
	return out
}

// admit counts live processes plus forks allowed too recently to show in
// /proc, and reserves a slot when the total stays below max. Growth of the
// live count since the last look settles the oldest pending forks. Exits in
// between hide growth, which only makes the count higher than it is.
func (l *forkLimiter) admit(live, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if grown := live - l.lastLive; grown > 0 {
		l.inflight = l.inflight[min(grown, len(l.inflight)):]
	}
	l.lastLive = live
	now := time.Now()
	for len(l.inflight) > 0 && now.Sub(l.inflight[0]) >= inflightFor {
		l.inflight = l.inflight[1:]
	}
	if live+len(l.inflight) >= max {
		return false
	}
	l.inflight = append(l.inflight, now)
	return true
}

// refuse records a refusal. The first one of a process in each second is
// written at once; the rest are summed up by flush.
func (l *forkLimiter) refuse(s *Supervisor, p *process, live, max int) {
	l.mu.Lock()
	if l.refused == nil {
		l.refused = map[*process]int{}
	}
	n, seen := l.refused[p]
	l.refused[p] = n + 1
	l.mu.Unlock()
	if !seen {
		s.emit(p, audit.Event{Kind: audit.KindProcessLimit, Decision: audit.DecisionDeny, Rule: "process.max_child_processes",
			Detail: "the new process was refused with EAGAIN: the sandbox runs or is starting " + strconv.Itoa(live) + " of at most " + strconv.Itoa(max) + " processes"})
		s.log.Warn("process limit reached", "pid", p.NSPID, "limit", max)
	}
}

// flush writes one event per process for the refusals after its first in
// the last second.
func (l *forkLimiter) flush(s *Supervisor) {
	l.mu.Lock()
	refused := l.refused
	l.refused = nil
	l.mu.Unlock()
	for p, n := range refused {
		if n > 1 {
			s.emit(p, audit.Event{Kind: audit.KindProcessLimit, Decision: audit.DecisionDeny, Rule: "process.max_child_processes",
				Detail: "more new processes refused with EAGAIN", Fields: map[string]any{"refused": n - 1}})
		}
	}
}
