//go:build linux

package sandbox

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Descendants lists the processes below root, from the procfs mounted at
// procRoot. It is how a sandbox that shares its pid namespace finds its own
// processes: the init stage is a child subreaper, so every process started
// in the sandbox stays below it, orphans included.
func Descendants(procRoot string, root int) ([]int, error) {
	children, err := processTree(procRoot)
	if err != nil {
		return nil, err
	}
	return below(children, root), nil
}

// below lists the processes under root in a map from parents to children.
func below(children map[int][]int, root int) []int {
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, child := range children[pid] {
			out = append(out, child)
			queue = append(queue, child)
		}
	}
	return out
}

// processTree maps every process in the procfs at procRoot to its
// children.
func processTree(procRoot string) (map[int][]int, error) {
	dir, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(procRoot, pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	return children, nil
}

// parentOf reads the parent pid from /proc/<pid>/stat. The command name may
// contain spaces and parentheses, so the fields are counted after its last
// ')'.
func parentOf(procRoot string, pid int) (int, bool) {
	data, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	return ppid, err == nil
}

// sweepTimeout bounds the wrapper's final sweep of a shared-pid sandbox.
const sweepTimeout = 5 * time.Second

// sweepOrphans kills and reaps the sandbox processes that outlived the
// init stage of a sandbox sharing the caller's pid namespace. The caller is
// a child subreaper, so they are its children once the init stage is gone.
// They differ from the caller's other children in their user namespace or,
// in a sandbox without namespaces, in the seccomp filter they run under.
func sweepOrphans() int {
	self := os.Getpid()
	own := identify(self)
	killed := 0
	deadline := time.Now().Add(sweepTimeout)
	for time.Now().Before(deadline) {
		children, err := processTree("/proc")
		if err != nil {
			return killed
		}
		var orphans []int
		for _, pid := range children[self] {
			if identify(pid).sandboxedBelow(own) {
				orphans = append(orphans, pid)
			}
		}
		if len(orphans) == 0 {
			return killed
		}
		// Their descendants first, so none is left to fork while the
		// parents go; those become this process's children and are
		// reaped in the next round.
		for _, pid := range orphans {
			for _, d := range below(children, pid) {
				unix.Kill(d, unix.SIGKILL)
			}
			if unix.Kill(pid, unix.SIGKILL) == nil {
				killed++
			}
		}
		for _, pid := range orphans {
			var ws unix.WaitStatus
			for {
				_, err := unix.Wait4(pid, &ws, 0, nil)
				if !errors.Is(err, unix.EINTR) {
					break
				}
			}
		}
	}
	return killed
}

// confinement is the user namespace of a process and the number of
// seccomp filters it runs under, which set a sandboxed process apart from
// the wrapper's own children.
type confinement struct {
	userNS  uint64
	filters int
	known   bool
}

// sandboxedBelow reports whether c is a sandbox below the process whose
// confinement is outer: another user namespace, or more seccomp filters.
func (c confinement) sandboxedBelow(outer confinement) bool {
	return c.known && outer.known && (c.userNS != outer.userNS || c.filters > outer.filters)
}

// identify reads the confinement of process pid.
func identify(pid int) confinement {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/user", &st); err != nil {
		return confinement{}
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return confinement{}
	}
	c := confinement{userNS: st.Ino, known: true}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("Seccomp_filters:")); ok {
			c.filters, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	return c
}
