//go:build linux

package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
)

// execTarget describes the file an exec names, opened as the calling
// process would open it.
type execTarget struct {
	// Interpreters of a script, outermost last.
	Interpreters []string
	// Argv is the vector the final program will see: the caller's, or the
	// kernel's rewrite for a script.
	Argv []string
	// File identifies the program that ends up running (the innermost
	// interpreter for a script); Known is false when it could not be
	// opened, and the post-exec check then compares names only.
	File  fileID
	Known bool
	// Writable is set when the program that would run lies on a mount
	// that is not read-only, such as a memfd.
	Writable bool
}

type fileID struct{ dev, ino uint64 }

// handleExec decides an execve or execveat. The path and argv are copies,
// and the kernel reads them again after Continue. An allowed exec is
// therefore checked once more after it has happened (execcheck_linux.go),
// and Landlock's execute rule stays the hard layer underneath.
func (s *Supervisor) handleExec(req *sandbox.Request, c call, args [6]uint64) {
	mem := memory{pid: req.PID, ptr: pointerSize(req.Arch)}
	dirfd, pathAddr, argvAddr, flags := unix.AT_FDCWD, args[0], args[1], uint64(0)
	if c == callExecveat {
		dirfd, pathAddr, argvAddr, flags = int(int32(args[0])), args[1], args[2], args[4]
	}

	deny := func(p *process, errno unix.Errno, rule, detail string, fields map[string]any) {
		s.answer(s.listener.Deny(req.ID, errno))
		e := audit.Event{Kind: audit.KindProcess, Decision: audit.DecisionDeny, Rule: rule, Detail: detail, Fields: fields}
		if fields != nil {
			e.Image = programName(fields)
		}
		s.emit(p, e)
	}

	p, err := s.table.resolve(req.PID, true)
	if err != nil {
		if s.listener.Valid(req.ID) == nil {
			deny(nil, unix.EACCES, "supervisor", fmt.Sprintf("the calling process could not be identified: %v", err), nil)
		}
		return
	}
	s.verifyPending(p)

	rawPath, err := mem.readString(pathAddr, maxPathLen-1)
	if err != nil {
		errno := unix.EFAULT
		if errors.Is(err, errUnterminated) && len(rawPath) >= maxPathLen-1 {
			errno = unix.ENAMETOOLONG
		}
		if s.listener.Valid(req.ID) == nil {
			deny(p, errno, "supervisor", "unreadable program path: "+err.Error(), nil)
		}
		return
	}
	av, err := mem.readArgv(argvAddr)
	if err != nil {
		if s.listener.Valid(req.ID) == nil {
			deny(p, unix.EFAULT, "supervisor", "unreadable argument vector: "+err.Error(), map[string]any{"path": quote(string(rawPath))})
		}
		return
	}
	target := inspectExec(req.PID, dirfd, string(rawPath), flags, av.Args, s.cfg.ExecDirs)
	gen, genErr := readGeneration(p.HostPID)
	pidfd, pidfdErr := unix.PidfdOpen(p.HostPID, 0)
	if pidfdErr != nil {
		pidfd = -1
	}
	armed := false
	defer func() {
		if !armed && pidfd >= 0 {
			unix.Close(pidfd)
		}
	}()

	// Everything above read the caller's memory or its /proc entries by
	// pid; only a still-valid notification proves they were the caller's.
	if s.listener.Valid(req.ID) != nil {
		return
	}

	s.table.mu.Lock()
	underWindows := p.UnderWindows
	callerExe := p.Exe
	s.table.mu.Unlock()
	linuxPath := string(rawPath)
	script := len(target.Interpreters) > 0
	image := windowsImage(linuxPath, av.Args, script)
	execReq := policy.ExecRequest{
		LinuxPath:    linuxPath,
		Interpreters: target.Interpreters,
		WindowsImage: image,
		UnderWindows: underWindows,
		WineScript:   script && isWineLoader(callerExe) && path.Dir(linuxPath) == path.Dir(callerExe),
	}
	decision := policy.DecideExec(s.cfg.Process, execReq)
	if target.Writable {
		// Landlock grants execute only beneath read-only locations, but
		// files on kernel-internal mounts (a memfd, for one) are outside
		// its reach.
		decision = policy.ExecDecision{Rule: ruleWritableProgram, Name: "the program", Pattern: "a read-only location"}
	}
	fields := map[string]any{
		"path": quote(linuxPath), "argv": quoteAll(av.Args), "argv_truncated": av.Truncated,
	}
	if script {
		fields["interpreters"] = target.Interpreters
	}
	if !decision.Allow {
		detail := fmt.Sprintf("%s matches %q", decision.Name, decision.Pattern)
		if decision.Rule == ruleWritableProgram {
			detail = "the program is not on a read-only mount (a memfd or another writable file); only read-only locations hold programs"
		}
		deny(p, unix.EACCES, decision.Rule, detail, withImage(fields, image))
		s.log.Warn("blocked a program start", "pid", p.NSPID, "image", programName(fields), "rule", decision.Rule)
		return
	}

	approved := approvedExec{
		path: linuxPath, image: image, argv: target.Argv, truncated: av.Truncated,
		file: target.File, known: target.Known, final: finalProgram(linuxPath, target),
	}
	if image != "" {
		s.table.mu.Lock()
		s.table.windowsSeen = true
		s.table.mu.Unlock()
	}
	if genErr == nil && pidfd >= 0 {
		s.armCheck(p, gen, pidfd, approved)
		armed = true
	} else {
		// Without a baseline the exec cannot be checked afterwards.
		s.unverified.Add(1)
	}
	s.answer(s.listener.Continue(req.ID))
	if decision.Rule != "" {
		fields["detail"] = fmt.Sprintf("%s matches %q", decision.Name, decision.Pattern)
	}
	fields = withImage(fields, image)
	s.emit(p, audit.Event{Kind: audit.KindProcess, Decision: audit.DecisionAllow, Rule: decision.Rule,
		Path: quote(linuxPath), Image: programName(fields), Fields: fields})
}

// programName is the image a program start event names: the Windows
// program if there is one, else the Linux path.
func programName(fields map[string]any) string {
	if image, ok := fields["windows_image"].(string); ok {
		return image
	}
	if p, ok := fields["path"].(string); ok {
		return p
	}
	return ""
}

func withImage(fields map[string]any, image string) map[string]any {
	if image != "" {
		fields["windows_image"] = quote(image)
	}
	return fields
}

// ruleWritableProgram names denials of programs outside read-only mounts.
const ruleWritableProgram = "read_only_programs"

// readOnlyProgram reports whether the file open as fd lies on a read-only
// mount or inside one of execDirs (Config.ExecDirs). It errs towards
// false, which denies.
func readOnlyProgram(fd int, execDirs []string) bool {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return false
	}
	if fs.Flags&unix.ST_RDONLY != 0 {
		return true
	}
	if len(execDirs) == 0 {
		return false
	}
	path, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return err == nil && inExecDir(path, execDirs)
}

// inExecDir reports whether path lies inside one of dirs.
func inExecDir(path string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// finalProgram is the path of the program that runs after the exec: the
// innermost interpreter of a script, else the path itself.
func finalProgram(linuxPath string, t execTarget) string {
	if n := len(t.Interpreters); n > 0 {
		return t.Interpreters[0]
	}
	return linuxPath
}

// inspectExec opens the file an exec names, inside the caller's root, and
// follows "#!" lines as the kernel would. Failures leave the target
// unknown rather than deny: the kernel makes the final decision about the
// file, and the post-exec check then compares names.
func inspectExec(tid, dirfd int, name string, flags uint64, argv []string, execDirs []string) execTarget {
	t := execTarget{Argv: argv}
	f, err := openAsCaller(tid, dirfd, name, flags)
	if err != nil {
		return t
	}

	filename := name
	var interps []string
	for depth := 0; ; depth++ {
		head := make([]byte, maxShebang)
		n, _ := io.ReadFull(f, head)
		sb, isScript := parseShebang(head[:n])
		if !isScript {
			break
		}
		f.Close()
		if depth == maxInterpreterDepth {
			return execTarget{Argv: argv}
		}
		interps = append([]string{sb.Interpreter}, interps...)
		t.Argv = scriptArgv(sb, filename, t.Argv)
		filename = sb.Interpreter
		f, err = openAsCaller(tid, unix.AT_FDCWD, sb.Interpreter, 0)
		if err != nil {
			t.Interpreters = interps
			return t
		}
	}
	defer f.Close()

	t.Interpreters = interps
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) == nil {
		t.File = fileID{dev: st.Dev, ino: st.Ino}
		t.Known = true
	}
	t.Writable = !readOnlyProgram(int(f.Fd()), execDirs)
	return t
}

// openAsCaller opens name the way thread tid's execveat(dirfd, name) would
// find it: absolute paths from the thread's root, relative ones from its
// working directory or dirfd, symlinks resolved inside that root.
// Relative paths are opened with RESOLVE_BENEATH, so one that climbs above
// its base with ".." or meets an absolute symlink stays unknown instead of
// naming the wrong file.
func openAsCaller(tid, dirfd int, name string, flags uint64) (*os.File, error) {
	if name == "" && flags&unix.AT_EMPTY_PATH != 0 {
		return os.Open("/proc/" + strconv.Itoa(tid) + "/fd/" + strconv.Itoa(dirfd))
	}
	openFlags := uint64(unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK)
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
		openFlags |= unix.O_NOFOLLOW
	}
	fd, err := openInCaller(tid, dirfd, name, openFlags)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// openInCaller opens name as thread tid would resolve it: an absolute path
// inside its root (RESOLVE_IN_ROOT), a relative one below its working
// directory or dirfd (RESOLVE_BENEATH), and never through a magic link.
func openInCaller(tid, dirfd int, name string, openFlags uint64) (int, error) {
	proc := "/proc/" + strconv.Itoa(tid)
	base := proc + "/root"
	resolve := uint64(unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS)
	if !strings.HasPrefix(name, "/") {
		resolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS
		base = proc + "/cwd"
		if dirfd != unix.AT_FDCWD {
			base = proc + "/fd/" + strconv.Itoa(dirfd)
		}
	}
	dir, err := unix.Open(base, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dir)
	return unix.Openat2(dir, strings.TrimLeft(name, "/"), &unix.OpenHow{Flags: openFlags, Resolve: resolve})
}

// quote makes bytes from a sandboxed process safe for the JSON log: valid
// UTF-8 passes unchanged, anything else is escaped as in Go source.
func quote(s string) string {
	if isPlainUTF8(s) {
		return s
	}
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

func isPlainUTF8(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = quote(a)
	}
	return out
}
