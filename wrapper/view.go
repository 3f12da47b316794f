package wrapper

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/winewarden/winewarden/sandbox"
)

// SystemRoot is a top-level host directory shared read-only with every
// sandbox, or a symlink that is recreated inside (merged /usr: /bin → usr/bin).
type SystemRoot struct {
	Path       string
	LinkTarget string // set when the host path is a symlink
	Exec       bool   // programs may run from it
}

// View is everything the mount view needs to know, gathered on the host.
type View struct {
	Roots []SystemRoot

	Home        string // path of the user's home inside (the real home's path)
	VirtualHome string // host directory shown at Home
	Prefix      string // host directory of the Wine prefix, shown at the same path
	InstallDir  string // host directory of the game, shown at the same path
	InstallRW   bool   // the policy lets the game write its install dir
	// Tools are host directories shown read-only at the same path whose
	// programs may run, such as a Proton build.
	Tools []string
	// ReadOnlyBinds are host files and directories shown read-only at another
	// path, such as the Steam client's libraries under ~/.steam.
	ReadOnlyBinds []ReadOnlyBind
	// SharedProcesses keeps the host's pid and IPC namespaces and its
	// /dev/shm, for the Steam client (policy key steam.show_client).
	SharedProcesses bool

	// Masks are host paths inside Prefix or InstallDir that must stay
	// unreachable (sacred zones); MaskFiles lists those that are files.
	Masks     []string
	MaskFiles map[string]bool
	// ReadOnly are directories inside Prefix shown read-only (the strict
	// filesystem profile). Missing ones are skipped.
	ReadOnly []string

	RuntimeDir string   // XDG_RUNTIME_DIR, recreated empty apart from Sockets
	Sockets    []string // host sockets shown at the same path (X11, Wayland, audio)
	ReadFiles  []string // host files shown read-only at the same path (XAUTHORITY, resolv.conf)
	Devices    []string // host device nodes or device directories

	NewNetwork bool
	// ResolvConf is a host file shown read-only at ResolvTarget in place
	// of the host's resolver configuration; both are empty to keep it.
	ResolvConf, ResolvTarget string
}

// ReadOnlyBind is a host file or directory shown read-only at Target. Libraries in
// a directory may be loaded, as from a tool.
type ReadOnlyBind struct {
	Source, Target string
	File           bool
}

// setResolvConf shows file at target and drops a host file that was to be
// shown at the same place.
func (v *View) setResolvConf(file, target string) {
	if file == "" {
		return
	}
	v.ResolvConf, v.ResolvTarget = file, target
	remaining := v.ReadFiles[:0]
	for _, f := range v.ReadFiles {
		if f != target {
			remaining = append(remaining, f)
		}
	}
	v.ReadFiles = remaining
}

// baseDevices are the character devices every program expects.
var baseDevices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}

// Mounts returns the mount steps in a safe order: fixed system mounts first,
// then the user's binds sorted so that a parent is always mounted before
// anything placed inside it.
func (v View) Mounts() []sandbox.Mount {
	var m []sandbox.Mount
	for _, r := range v.Roots {
		if r.LinkTarget != "" {
			m = append(m, sandbox.Mount{Kind: sandbox.MountSymlink, Source: r.LinkTarget, Target: r.Path})
		} else {
			m = append(m, sandbox.Mount{Kind: sandbox.MountBind, Source: r.Path, Target: r.Path, ReadOnly: true})
		}
	}
	proc := sandbox.Mount{Kind: sandbox.MountProc, Target: "/proc"}
	shm := sandbox.Mount{Kind: sandbox.MountTmpfs, Target: "/dev/shm", Mode: 0o1777, NoExec: true}
	if v.SharedProcesses {
		proc = sandbox.Mount{Kind: sandbox.MountBind, Source: "/proc", Target: "/proc"}
		shm = sandbox.Mount{Kind: sandbox.MountBind, Source: "/dev/shm", Target: "/dev/shm", NoExec: true}
	}
	m = append(m,
		proc,
		sandbox.Mount{Kind: sandbox.MountBind, Source: "/sys", Target: "/sys", ReadOnly: true, Optional: true},
		sandbox.Mount{Kind: sandbox.MountTmpfs, Target: "/dev", Mode: 0o755, NoExec: true},
	)
	for _, d := range baseDevices {
		m = append(m, sandbox.Mount{Kind: sandbox.MountBind, Source: d, Target: d, File: true, Device: true, Optional: true})
	}
	for _, l := range [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}} {
		m = append(m, sandbox.Mount{Kind: sandbox.MountSymlink, Source: l[0], Target: l[1]})
	}
	m = append(m,
		shm,
		sandbox.Mount{Kind: sandbox.MountTmpfs, Target: "/tmp", Mode: 0o1777, NoExec: true},
		sandbox.Mount{Kind: sandbox.MountTmpfs, Target: "/run", Mode: 0o755, NoExec: true},
	)
	if v.RuntimeDir != "" {
		m = append(m, sandbox.Mount{Kind: sandbox.MountTmpfs, Target: v.RuntimeDir, Mode: 0o700, NoExec: true})
	}

	var user []sandbox.Mount
	for _, d := range v.Devices {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: d, Target: d, Device: true, File: !isDeviceDir(d), Optional: true})
	}
	// noexec on the writable trees also stops mmap(PROT_EXEC) of a dropped
	// .so, which Landlock's execute right does not cover. Wine maps PE
	// files from noexec mounts without trouble (checked with Wine 8.0).
	user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: v.VirtualHome, Target: v.Home, NoExec: true})
	if v.Prefix != "" {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: v.Prefix, Target: v.Prefix, NoExec: true})
	}
	if v.InstallDir != "" {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: v.InstallDir, Target: v.InstallDir, ReadOnly: !v.InstallRW})
	}
	for _, d := range v.Tools {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: d, Target: d, ReadOnly: true})
	}
	for _, s := range v.ReadOnlyBinds {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: s.Source, Target: s.Target, File: s.File, ReadOnly: true})
	}
	for _, s := range v.Sockets {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: s, Target: s, File: true, Optional: true})
	}
	for _, f := range v.ReadFiles {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: f, Target: f, File: true, ReadOnly: true, Optional: true})
	}
	if v.ResolvConf != "" {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: v.ResolvConf, Target: v.ResolvTarget, File: true, ReadOnly: true})
	}
	for _, p := range v.ReadOnly {
		user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: p, Target: p, ReadOnly: true, NoExec: true, Optional: true})
	}
	for _, p := range v.Masks {
		if v.MaskFiles[p] {
			// A nodev bind of /dev/null: opening it fails.
			user = append(user, sandbox.Mount{Kind: sandbox.MountBind, Source: "/dev/null", Target: p, File: true, ReadOnly: true})
		} else {
			user = append(user, sandbox.Mount{Kind: sandbox.MountTmpfs, Target: p, Mode: 0o500, ReadOnly: true, NoExec: true})
		}
	}
	sort.SliceStable(user, func(i, j int) bool { return depth(user[i].Target) < depth(user[j].Target) })
	return append(m, user...)
}

// Rules returns the Landlock rules for the view. Execute is granted only on
// read-only system roots, tools and a read-only install dir.
func (v View) Rules() []sandbox.AccessRule {
	r := []sandbox.AccessRule{{Path: "/", Access: sandbox.AccessList}}
	r = append(r, v.commonRules()...)
	r = append(r,
		sandbox.AccessRule{Path: "/dev", Access: sandbox.AccessDevice},
		sandbox.AccessRule{Path: "/dev/shm", Access: sandbox.AccessWrite},
		sandbox.AccessRule{Path: "/tmp", Access: sandbox.AccessWrite},
		sandbox.AccessRule{Path: "/run", Access: sandbox.AccessRead},
		sandbox.AccessRule{Path: v.Home, Access: sandbox.AccessWrite},
	)
	if v.RuntimeDir != "" {
		r = append(r, sandbox.AccessRule{Path: v.RuntimeDir, Access: sandbox.AccessWrite})
	}
	for _, s := range v.ReadOnlyBinds {
		r = append(r, sandbox.AccessRule{Path: s.Target, Access: bindAccess(s)})
	}
	return r
}

// HostRules returns the Landlock rules of a sandbox without a mount view,
// on host paths: the rules are then the whole filesystem policy. Unlike
// Rules, they grant nothing on "/", where listing would reach every
// directory of the host. In /tmp they grant only serverDirs, Wine's server
// directories of this prefix. The runtime directory gets no rule, because
// its sockets are reached through the supervisor's socket allowlist.
func (v View) HostRules(serverDirs []string) []sandbox.AccessRule {
	r := v.commonRules()
	r = append(r,
		sandbox.AccessRule{Path: "/dev/shm", Access: sandbox.AccessWrite, Optional: true},
		sandbox.AccessRule{Path: v.VirtualHome, Access: sandbox.AccessWrite},
	)
	for _, d := range serverDirs {
		r = append(r, sandbox.AccessRule{Path: d, Access: sandbox.AccessWrite})
	}
	for _, d := range append(slices.Clone(baseDevices), v.Devices...) {
		r = append(r, sandbox.AccessRule{Path: d, Access: sandbox.AccessDevice, Optional: true})
	}
	for _, s := range v.ReadOnlyBinds {
		r = append(r, sandbox.AccessRule{Path: s.Source, Access: bindAccess(s)})
	}
	return r
}

// commonRules are the rules of both kinds of view, on paths that are the
// same inside and outside: system roots, /sys, /proc, the prefix, the
// install dir, tools and files shown read-only.
func (v View) commonRules() []sandbox.AccessRule {
	var r []sandbox.AccessRule
	for _, root := range v.Roots {
		if root.LinkTarget != "" {
			continue
		}
		access := sandbox.AccessRead
		if root.Exec {
			access = sandbox.AccessExec
		}
		r = append(r, sandbox.AccessRule{Path: root.Path, Access: access})
	}
	r = append(r,
		sandbox.AccessRule{Path: "/sys", Access: sandbox.AccessRead, Optional: true},
		// wineserver reads and writes its clients' memory through
		// /proc/<pid>/mem. The pid namespace limits it to the sandbox,
		// or, when the host's /proc is seen, Landlock's ptrace scoping.
		sandbox.AccessRule{Path: "/proc", Access: sandbox.AccessWrite},
	)
	if v.Prefix != "" {
		r = append(r, sandbox.AccessRule{Path: v.Prefix, Access: sandbox.AccessWrite})
	}
	if v.InstallDir != "" {
		access := sandbox.AccessExec
		if v.InstallRW {
			access = sandbox.AccessWrite
		}
		r = append(r, sandbox.AccessRule{Path: v.InstallDir, Access: access})
	}
	for _, d := range v.Tools {
		r = append(r, sandbox.AccessRule{Path: d, Access: sandbox.AccessExec})
	}
	for _, f := range v.ReadFiles {
		r = append(r, sandbox.AccessRule{Path: f, Access: sandbox.AccessRead, Optional: true})
	}
	return r
}

// bindAccess lets the game load libraries from a bound directory and read a
// bound file.
func bindAccess(s ReadOnlyBind) sandbox.Access {
	if s.File {
		return sandbox.AccessRead
	}
	return sandbox.AccessExec
}

func isDeviceDir(p string) bool {
	base := filepath.Base(p)
	return base == "dri" || base == "snd"
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }
