//go:build linux

package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/sandbox"
)

// process is the supervisor's record of one sandboxed process.
type process struct {
	// NSPID and NSPPID are pids in the sandbox's pid namespace, the ones
	// the game itself uses. HostPID is the pid in the supervisor's namespace,
	// zero until the process makes a supervised syscall.
	NSPID, NSPPID int
	HostPID       int
	// Start is the start time in clock ticks since boot, which
	// distinguishes a reused pid from the process that had it before.
	Start     uint64
	StartedAt time.Time
	// Exe is the Linux program, Image the Windows program a Wine loader
	// runs (empty for other programs), Argv the bounded argument vector.
	Exe           string
	Image         string
	Argv          []string
	ArgvTruncated bool
	// UnderWindows is set once the process or an ancestor ran a Windows
	// program; it survives later execs.
	UnderWindows bool
	// Unverified is the path of an allowed exec whose result the
	// post-exec check could not see: it failed, or the program ended
	// first. Exe, Image and Argv stay those of the last verified program.
	Unverified string
	Parent     *process

	pidfd  int
	exited bool
	check  *execCheck
	net    netState
}

// chain lists the images of the process's ancestors and its own, oldest
// first: the Windows image where there is one, else the Linux path.
func (p *process) chain() []string {
	var out []string
	for q := p; q != nil; q = q.Parent {
		out = append(out, q.name())
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (p *process) name() string {
	if p.Image != "" {
		return p.Image
	}
	return p.Exe
}

// table maps sandboxed processes by their pid in the sandbox. It reads the
// sandbox's own procfs (through the init stage's root) for parents and
// start times, and the host's procfs for a thread's process.
type table struct {
	mu       sync.Mutex
	procRoot string // the sandbox's /proc, seen from the supervisor
	// initNS is the init stage's pid in the sandbox: 1, or its host pid
	// when the sandbox shares the supervisor's pid namespace.
	initNS int
	shared bool
	byNS   map[int]*process
	// threads caches host thread id -> process for the network path,
	// where an outdated entry costs only the attribution of one event.
	threads map[int]*process
	// bootTime converts start times.
	bootTime time.Time
	// windowsSeen is set once an exec of a Windows program was allowed.
	windowsSeen bool
	// forks lists recent forks whose child was not registered yet, oldest
	// first, to find the parent of an orphan.
	forks []pendingFork
}

// pendingFork is an allowed fork whose child the table has not seen.
type pendingFork struct {
	parent *process
	at     time.Time
}

// forkMemory is how long a pending fork can explain an orphan.
const forkMemory = time.Second

// noteFork records an allowed fork by parent.
func (t *table) noteFork(parent *process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for len(t.forks) > 0 && now.Sub(t.forks[0].at) > forkMemory {
		t.forks = t.forks[1:]
	}
	t.forks = append(t.forks, pendingFork{parent: parent, at: now})
}

// settleFork removes the oldest pending fork of parent, whose child has
// been registered.
func (t *table) settleFork(parent *process) {
	for i, f := range t.forks {
		if f.parent == parent {
			t.forks = append(t.forks[:i], t.forks[i+1:]...)
			return
		}
	}
}

// orphanParent guesses the real parent of an orphan: the one process that
// forked recently, has exited since, and whose child was never seen.
// Wine's double fork leaves exactly that pattern. Several such processes
// with different programs make the guess ambiguous, and it returns nil.
func (t *table) orphanParent() *process {
	var found *process
	for i := len(t.forks) - 1; i >= 0; i-- {
		p := t.forks[i].parent
		st, err := readStat(t.procRoot + "/" + strconv.Itoa(p.NSPID) + "/stat")
		alive := err == nil && st.start == p.Start && st.state != 'Z' && st.state != 'X'
		if alive && !p.exited {
			continue
		}
		if found != nil && (found.Image != p.Image || found.Exe != p.Exe || found.UnderWindows != p.UnderWindows) {
			return nil
		}
		if found == nil {
			found = p
		}
	}
	if found != nil {
		t.settleFork(found)
	}
	return found
}

// maxThreadCache bounds the thread cache; it is cleared when full.
const maxThreadCache = 1 << 16

// clockTicks is USER_HZ, the unit of /proc start times on every Linux
// architecture that has a fixed value for it (x86 included).
const clockTicks = 100

// newTable makes the table of the sandbox whose init stage has host pid
// initHostPID. A sandbox that shares the pid namespace is read from the
// supervisor's own /proc, and its processes are those below the init stage.
func newTable(initHostPID int, shared bool) (*table, error) {
	root := fmt.Sprintf("/proc/%d/root/proc", initHostPID)
	initNS := 1
	if shared {
		root, initNS = "/proc", initHostPID
	}
	initStat := root + "/" + strconv.Itoa(initNS) + "/stat"
	if _, err := os.Stat(initStat); err != nil {
		return nil, fmt.Errorf("opening the sandbox's /proc: %w", err)
	}
	t := &table{procRoot: root, initNS: initNS, shared: shared,
		byNS: map[int]*process{}, threads: map[int]*process{}, bootTime: bootTime()}
	init := &process{NSPID: initNS, HostPID: initHostPID, Exe: "winewarden-init", pidfd: -1}
	if st, err := readStat(initStat); err == nil {
		init.Start = st.start
	}
	t.byNS[initNS] = init
	return t, nil
}

// bootTime is the wall-clock time of boot, from CLOCK_BOOTTIME, the clock
// /proc start times count on.
func bootTime() time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}
	}
	return time.Now().Add(-time.Duration(ts.Nano()))
}

// statFields are the fields of /proc/<pid>/stat the supervisor uses.
type statFields struct {
	state byte
	ppid  int
	start uint64
	// startCode, endCode and startStack change at every exec because of
	// address space layout randomization, which the filter keeps on.
	startCode, endCode, startStack uint64
}

// generation identifies one exec of a process.
type generation struct{ startCode, endCode, startStack uint64 }

func (s statFields) generation() generation {
	return generation{s.startCode, s.endCode, s.startStack}
}

// readStat parses a /proc/<pid>/stat file. The command name may contain
// spaces and parentheses, so fields are counted after its last ')'.
func readStat(path string) (statFields, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return statFields{}, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return statFields{}, fmt.Errorf("%s: malformed", path)
	}
	fields := bytes.Fields(data[i+1:])
	// fields[0] is field 3 (state) of proc_pid_stat(5).
	field := func(n int) uint64 {
		if n-3 >= len(fields) {
			return 0
		}
		v, _ := strconv.ParseUint(string(fields[n-3]), 10, 64)
		return v
	}
	if len(fields) < 26 {
		return statFields{}, fmt.Errorf("%s: %d fields", path, len(fields)+2)
	}
	return statFields{
		state: fields[0][0],
		ppid:  int(field(4)), start: field(22),
		startCode: field(26), endCode: field(27), startStack: field(28),
	}, nil
}

// threadIDs returns the host and sandbox pids of the process that host
// thread tid belongs to, from /proc/<tid>/status (Tgid and NStgid).
func threadIDs(tid int) (hostTgid, nsTgid int, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		switch {
		case bytes.HasPrefix(line, []byte("Tgid:")):
			hostTgid, _ = strconv.Atoi(string(bytes.TrimSpace(line[5:])))
		case bytes.HasPrefix(line, []byte("NStgid:")):
			ids := bytes.Fields(line[7:])
			if len(ids) > 0 {
				nsTgid, _ = strconv.Atoi(string(ids[len(ids)-1]))
			}
		}
	}
	if hostTgid == 0 || nsTgid == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no Tgid or NStgid", tid)
	}
	return hostTgid, nsTgid, nil
}

var errNotInSandbox = errors.New("process is not in the sandbox")

// resolve returns the process of host thread tid, registering it and its
// ancestors when new. fresh skips the thread cache; decisions use it.
func (t *table) resolve(tid int, fresh bool) (*process, error) {
	if !fresh {
		t.mu.Lock()
		p := t.threads[tid]
		t.mu.Unlock()
		if p != nil && !p.exited {
			return p, nil
		}
	}
	hostTgid, nsTgid, err := threadIDs(tid)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p, err := t.lookupLocked(nsTgid, 0)
	if err != nil {
		// The caller's /proc entry is unreadable while it waits in a
		// syscall, which happens while it is being killed. Treat it as
		// an orphan, because the caller validates the notification anyway.
		p = &process{NSPID: nsTgid, NSPPID: t.initNS, Parent: t.byNS[t.initNS], pidfd: -1,
			Exe: unknownExe, UnderWindows: t.windowsSeen}
		return p, nil
	}
	if p.HostPID == 0 {
		p.HostPID = hostTgid
		// The caller validates its notification afterwards, which proves
		// that this pidfd names the caller's process.
		if fd, err := unix.PidfdOpen(hostTgid, 0); err == nil {
			unix.CloseOnExec(fd)
			p.pidfd = fd
		}
	}
	if len(t.threads) >= maxThreadCache {
		clear(t.threads)
	}
	t.threads[tid] = p
	return p, nil
}

// lookupLocked returns the process with sandbox pid ns, creating entries
// for it and its unknown ancestors from the sandbox's procfs. A new entry
// inherits its parent's program, as fork does.
//
// A process whose parent is gone has been reparented to the init stage,
// and what its real parent ran is lost. Once a Windows program has run in
// the sandbox, such an orphan counts as below one: a Windows program that
// forks twice and lets the middle process exit must not shed its ancestry.
func (t *table) lookupLocked(ns int, depth int) (*process, error) {
	if ns == t.initNS {
		return t.byNS[t.initNS], nil
	}
	st, err := readStat(t.procRoot + "/" + strconv.Itoa(ns) + "/stat")
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", ns, err)
	}
	if p := t.byNS[ns]; p != nil && p.Start == st.start && !p.exited {
		return p, nil
	}
	if st.ppid == 0 || (t.shared && ns == 1) {
		return nil, fmt.Errorf("process %d: %w", ns, errNotInSandbox)
	}

	var parent *process
	if depth < maxAncestry {
		parent, _ = t.lookupLocked(st.ppid, depth+1)
	}
	orphan := parent == nil || parent.NSPID == t.initNS
	if orphan {
		if guess := t.orphanParent(); guess != nil {
			parent, orphan = guess, false
		}
	} else {
		t.settleFork(parent)
	}
	if parent == nil {
		parent = t.byNS[t.initNS]
	}

	p := t.newChild(parent, ns, st)
	p.NSPPID = st.ppid
	if orphan {
		p.UnderWindows = t.windowsSeen
		if p.UnderWindows {
			p.Exe, p.Image, p.Argv = unknownExe, "", nil
		}
	}

	if old := t.byNS[ns]; old != nil {
		old.exited = true
	}
	t.byNS[ns] = p
	return p, nil
}

// unknownExe stands for the program of a process registered after its
// parent was gone.
const unknownExe = "(unknown: parent exited)"

// maxAncestry bounds the walk up the process tree; deeper processes are
// treated as orphans.
const maxAncestry = 4096

// registerChild records sandbox pid ns as a new child of parent, unless
// the table already has it.
func (t *table) registerChild(parent *process, ns int) {
	st, err := readStat(t.procRoot + "/" + strconv.Itoa(ns) + "/stat")
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.byNS[ns]; p != nil && p.Start == st.start && !p.exited {
		return
	}
	t.settleFork(parent)
	t.byNS[ns] = t.newChild(parent, ns, st)
}

// newChild makes the entry of a process that parent forked: it runs the
// parent's program until its own exec.
func (t *table) newChild(parent *process, ns int, st statFields) *process {
	return &process{
		NSPID: ns, NSPPID: parent.NSPID, Start: st.start,
		StartedAt: t.bootTime.Add(time.Duration(st.start) * time.Second / clockTicks),
		Exe:       parent.Exe, Image: parent.Image, Argv: parent.Argv, ArgvTruncated: parent.ArgvTruncated,
		UnderWindows: parent.UnderWindows, Parent: parent, pidfd: -1,
	}
}

// liveCount counts the processes in the sandbox other than the init stage,
// by listing the sandbox's procfs.
func (t *table) liveCount() (int, []int, error) {
	if t.shared {
		pids, err := sandbox.Descendants(t.procRoot, t.initNS)
		return len(pids), pids, err
	}
	dir, err := os.Open(t.procRoot)
	if err != nil {
		return 0, nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return 0, nil, err
	}
	var pids []int
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil && pid != 1 {
			pids = append(pids, pid)
		}
	}
	return len(pids), pids, nil
}

// register adds the processes in pids (sandbox pids from liveCount) that
// the table does not know yet, so the tree shows children that never make
// a supervised syscall.
func (t *table) register(pids []int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pid := range pids {
		if p := t.byNS[pid]; p == nil || p.exited {
			t.lookupLocked(pid, 0)
		}
	}
}

// reap removes the processes that are no longer in the sandbox's /proc
// (live lists the sandbox pids still there) and returns them.
func (t *table) reap(live []int) []*process {
	present := make(map[int]bool, len(live))
	for _, pid := range live {
		present[pid] = true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []*process
	for pid, p := range t.byNS {
		if pid == t.initNS || (present[pid] && !p.exited) {
			continue
		}
		p.exited = true
		delete(t.byNS, pid)
		gone = append(gone, p)
	}
	if len(gone) > 0 {
		for tid, q := range t.threads {
			if q.exited {
				delete(t.threads, tid)
			}
		}
	}
	return gone
}

// exitStatus reads how a process ended from its pidfd (PIDFD_INFO_EXIT,
// Linux 6.15 and later). ok is false when the kernel does not tell.
func exitStatus(pidfd int) (code int, signal unix.Signal, ok bool) {
	if pidfd < 0 {
		return 0, 0, false
	}
	info := unix.PidfdInfo{Mask: unix.PIDFD_INFO_EXIT}
	if err := unix.IoctlPidfdInfo(pidfd, &info); err != nil || info.Mask&unix.PIDFD_INFO_EXIT == 0 {
		return 0, 0, false
	}
	ws := unix.WaitStatus(info.Exit_code)
	if ws.Signaled() {
		return 0, ws.Signal(), true
	}
	return ws.ExitStatus(), 0, true
}
