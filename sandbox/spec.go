package sandbox

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// MountKind names one step of the mount view.
type MountKind string

const (
	// MountBind exposes a host file or directory at Target.
	MountBind MountKind = "bind"
	// MountTmpfs mounts an empty tmpfs at Target.
	MountTmpfs MountKind = "tmpfs"
	// MountProc mounts a procfs for the sandbox's pid namespace. A
	// sandbox sharing the caller's pid namespace binds the caller's /proc
	// instead.
	MountProc MountKind = "proc"
	// MountSymlink creates a symlink at Target pointing to Source.
	MountSymlink MountKind = "symlink"
	// MountDir creates an empty directory at Target.
	MountDir MountKind = "dir"
)

// Mount is one step of the mount view, applied in order. Targets are
// absolute paths inside the sandbox. Every directory on the way to a target
// is opened without following symlinks, so a symlink planted by an earlier
// sandbox in a writable tree (the virtual home, the prefix) stops the launch
// instead of redirecting the mount.
type Mount struct {
	Kind   MountKind `json:"kind"`
	Source string    `json:"source,omitempty"`
	Target string    `json:"target"`
	// ReadOnly, NoExec: mount attributes of the new mount. Every mount
	// gets nosuid; every mount except device binds gets nodev.
	ReadOnly bool `json:"read_only,omitempty"`
	NoExec   bool `json:"no_exec,omitempty"`
	// Device keeps device nodes usable (no nodev attribute).
	Device bool `json:"device,omitempty"`
	// File binds a single file instead of a directory.
	File bool `json:"file,omitempty"`
	// Optional skips a bind whose source does not exist.
	Optional bool `json:"optional,omitempty"`
	// Mode is the permission of a tmpfs root or a created directory.
	Mode uint32 `json:"mode,omitempty"`
}

// Access is a Landlock access class for one path.
type Access string

const (
	// AccessList allows listing directories only.
	AccessList Access = "list"
	// AccessRead allows reading files and listing directories.
	AccessRead Access = "read"
	// AccessExec is AccessRead plus executing files. Only read-only
	// locations get it, so nothing the sandbox can write is executable.
	AccessExec Access = "exec"
	// AccessWrite allows reading and writing, including creating,
	// renaming and removing entries, but never executing.
	AccessWrite Access = "write"
	// AccessDevice is AccessWrite plus device ioctls, for /dev nodes.
	AccessDevice Access = "device"
)

// AccessRule grants one Landlock access class beneath Path (a path inside
// the sandbox, after the mount view is in place).
type AccessRule struct {
	Path     string `json:"path"`
	Access   Access `json:"access"`
	Optional bool   `json:"optional,omitempty"`
}

// Spec describes one sandbox. The wrapper builds and validates it; the init
// stage applies it.
type Spec struct {
	Argv     []string `json:"argv"`
	Env      []string `json:"env"`
	Dir      string   `json:"dir"`
	Hostname string   `json:"hostname"`
	UID      int      `json:"uid"`
	GID      int      `json:"gid"`
	Mounts   []Mount  `json:"mounts"`

	Landlock []AccessRule `json:"landlock"`
	// MinLandlockABI is the lowest Landlock ABI that gives every
	// restriction this Spec relies on.
	MinLandlockABI int `json:"min_landlock_abi"`
	// AllowDegraded starts the target even when a layer is missing. The
	// init report then lists exactly which layers were in force.
	AllowDegraded bool `json:"allow_degraded,omitempty"`
	// NewNetwork gives the sandbox its own network namespace with only
	// a loopback interface.
	NewNetwork bool `json:"new_network,omitempty"`
	// SharedPID keeps the caller's pid namespace, so the sandbox sees the
	// caller's processes through a bind of its /proc. Landlock's signal
	// and ptrace scoping then keep them out of reach, so such a Spec never
	// starts without them. The init stage is a child subreaper, and the
	// caller kills what outlives it.
	SharedPID bool `json:"shared_pid,omitempty"`
	// SharedIPC keeps the caller's IPC namespace (System V IPC and POSIX
	// message queues) and allows a bind of the host's /dev/shm.
	SharedIPC bool `json:"shared_ipc,omitempty"`
	// NoNamespaces makes no namespace at all, for a caller that may not
	// create any (inside a Flatpak sandbox). There is no mount view: the
	// Landlock rules name host paths and are the whole filesystem
	// policy. It needs SharedPID and SharedIPC, no mounts, no hostname
	// and no network namespace.
	NoNamespaces bool `json:"no_namespaces,omitempty"`
	// Supervised sends the syscalls in SupervisedSyscalls to a supervisor,
	// which Start attaches before the target runs.
	Supervised bool `json:"supervised,omitempty"`
}

// Validate checks a Spec before anything is forked.
func (s *Spec) Validate() error {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return fmt.Errorf("sandbox spec: empty command")
	}
	if !filepath.IsAbs(s.Dir) {
		return fmt.Errorf("sandbox spec: working directory %q is not absolute", s.Dir)
	}
	if s.NoNamespaces && (!s.SharedPID || !s.SharedIPC || s.NewNetwork || len(s.Mounts) > 0 || s.Hostname != "") {
		return fmt.Errorf("sandbox spec: a sandbox without namespaces shares the pid and IPC namespaces and has no mounts, hostname or network namespace")
	}
	for _, m := range s.Mounts {
		hostProc := m.Kind == MountBind && m.Source == "/proc" && m.Target == "/proc"
		hostShm := m.Kind == MountBind && m.Source == "/dev/shm" && m.Target == "/dev/shm"
		switch {
		case s.SharedPID && m.Kind == MountProc:
			return fmt.Errorf("sandbox spec: a sandbox sharing the pid namespace cannot mount a procfs of its own: bind /proc instead")
		case hostProc && !s.SharedPID:
			return fmt.Errorf("sandbox spec: only a sandbox sharing the pid namespace may show the host's /proc")
		case hostShm && !s.SharedIPC:
			return fmt.Errorf("sandbox spec: only a sandbox sharing the IPC namespace may show the host's /dev/shm")
		case hostProc, hostShm:
			continue
		}
		if !filepath.IsAbs(m.Target) || filepath.Clean(m.Target) != m.Target || m.Target == "/" {
			return fmt.Errorf("sandbox spec: mount target %q must be a clean absolute path below /", m.Target)
		}
		switch m.Kind {
		case MountBind:
			if !filepath.IsAbs(m.Source) || filepath.Clean(m.Source) != m.Source {
				return fmt.Errorf("sandbox spec: bind source %q must be a clean absolute path", m.Source)
			}
			// The sandbox's own /proc and /sys must stay its own; only
			// device binds may go into /dev.
			if inTree(m.Target, "/proc") || (inTree(m.Target, "/sys") && m.Target != "/sys") ||
				(inTree(m.Target, "/dev") && !m.Device && m.Source != "/dev/null") {
				return fmt.Errorf("sandbox spec: bind target %q would replace part of the sandbox's /proc, /sys or /dev", m.Target)
			}
		case MountSymlink:
			if m.Source == "" {
				return fmt.Errorf("sandbox spec: symlink %q has no destination", m.Target)
			}
		case MountTmpfs, MountProc, MountDir:
		default:
			return fmt.Errorf("sandbox spec: unknown mount kind %q", m.Kind)
		}
	}
	for _, r := range s.Landlock {
		switch r.Access {
		case AccessList, AccessRead, AccessExec, AccessWrite, AccessDevice:
		default:
			return fmt.Errorf("sandbox spec: unknown access %q for %s", r.Access, r.Path)
		}
		if !filepath.IsAbs(r.Path) {
			return fmt.Errorf("sandbox spec: landlock path %q is not absolute", r.Path)
		}
	}
	return nil
}

// ExecOnlyDirs lists the directories the Landlock rules let the sandbox
// execute from and never write. Landlock grants the union of the rules on a
// path, so a directory with AccessExec counts only when it neither contains
// nor lies in a directory with a writing access.
func (s *Spec) ExecOnlyDirs() []string {
	var dirs []string
	for _, r := range s.Landlock {
		if r.Access != AccessExec {
			continue
		}
		clean := true
		for _, w := range s.Landlock {
			if (w.Access == AccessWrite || w.Access == AccessDevice) && (inTree(w.Path, r.Path) || inTree(r.Path, w.Path)) {
				clean = false
			}
		}
		if clean {
			dirs = append(dirs, r.Path)
		}
	}
	return dirs
}

func inTree(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func (s *Spec) encode() ([]byte, error) { return json.Marshal(s) }

// Report is the init stage's message to the wrapper: the layers in force
// once the target is about to start, or why the sandbox could not be built.
// It travels as two JSON lines: the layers and the listener's descriptor
// number in the init stage, then the target's pid or the error that kept it
// from starting.
type Report struct {
	Error  string  `json:"error,omitempty"`
	Layers []Layer `json:"layers,omitempty"`
	// NotifyFD is the seccomp listener's descriptor in the init stage, or
	// zero when the sandbox is not supervised.
	NotifyFD  int `json:"notify_fd,omitempty"`
	TargetPID int `json:"target_pid,omitempty"`
}

// Layer records whether one protection was in force for a session.
type Layer struct {
	Name    string `json:"name"`
	InForce bool   `json:"in_force"`
	Detail  string `json:"detail,omitempty"`
}
