//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrPlantedSymlink reports a symlink where the mount view needs a real
// directory or file. Such links can only come from a sandbox that wrote them
// into a tree it may write (the virtual home, the prefix), so the launch
// stops instead of following them.
var ErrPlantedSymlink = errors.New("symlink on a mount path")

// newRootDir is the mount point of the fresh tmpfs root before pivot_root.
// Bind sources are opened before the tmpfs hides this directory.
const newRootDir = "/tmp"

// mountView builds the sandbox's filesystem and switches to it. Every mount
// is made with file descriptors (open_tree, fsmount, move_mount), sources and
// targets are opened without following symlinks, and the old root is
// detached at the end, so no host path is reachable afterwards.
func mountView(mounts []Mount) error {
	// Mount events must not travel back to the host (or in from it).
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}

	// Sources first: the new root is attached over newRootDir, which may
	// hold some of them (a game in /tmp, for example).
	trees := make([]int, len(mounts))
	defer func() {
		for _, fd := range trees {
			if fd > 0 {
				unix.Close(fd)
			}
		}
	}()
	for i, m := range mounts {
		if m.Kind != MountBind {
			continue
		}
		fd, err := cloneSource(m)
		if err != nil {
			return err
		}
		trees[i] = fd
	}

	root, err := newFilesystem("tmpfs", map[string]string{"mode": "0755"}, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return fmt.Errorf("creating the root tmpfs: %w", err)
	}
	defer unix.Close(root)
	if err := unix.MoveMount(root, "", unix.AT_FDCWD, newRootDir, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching the root tmpfs at %s: %w", newRootDir, err)
	}

	for i, m := range mounts {
		if m.Kind == MountBind && trees[i] < 0 {
			continue // optional source that does not exist
		}
		if err := applyMount(root, m, trees[i]); err != nil {
			return fmt.Errorf("mount %s %s: %w", m.Kind, m.Target, err)
		}
	}

	// pivot_root(".", ".") stacks the old root on top of the new one;
	// detaching it leaves only the new view.
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("entering the new root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	// The root itself holds only mount points; nothing may be created there.
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(unix.AT_FDCWD, "/", 0, &attr); err != nil {
		return fmt.Errorf("making / read-only: %w", err)
	}
	return nil
}

// cloneSource opens a bind source without following any symlink in its
// path (the wrapper passes canonical paths, so a symlink there was planted
// after validation) and clones it, with submounts, as a detached tree that
// already carries the mount's attributes. It returns -1 for a missing
// optional source.
func cloneSource(m Mount) (int, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	src, err := unix.Openat2(unix.AT_FDCWD, m.Source, &how)
	if err != nil {
		if m.Optional && errors.Is(err, unix.ENOENT) {
			return -1, nil
		}
		if errors.Is(err, unix.ELOOP) {
			return -1, fmt.Errorf("bind source %s: %w", m.Source, ErrPlantedSymlink)
		}
		return -1, fmt.Errorf("opening bind source %s: %w", m.Source, err)
	}
	defer unix.Close(src)

	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return -1, fmt.Errorf("stat %s: %w", m.Source, err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir == m.File {
		return -1, fmt.Errorf("bind source %s: file type does not match the mount (file=%v)", m.Source, m.File)
	}

	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("cloning %s: %w", m.Source, err)
	}
	attr := unix.MountAttr{Attr_set: mountAttrs(m)}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		unix.Close(tree)
		return -1, fmt.Errorf("setting attributes on %s: %w", m.Source, err)
	}
	return tree, nil
}

func mountAttrs(m Mount) uint64 {
	attrs := uint64(unix.MOUNT_ATTR_NOSUID)
	if !m.Device {
		attrs |= unix.MOUNT_ATTR_NODEV
	}
	if m.ReadOnly {
		attrs |= unix.MOUNT_ATTR_RDONLY
	}
	if m.NoExec {
		attrs |= unix.MOUNT_ATTR_NOEXEC
	}
	return attrs
}

func applyMount(root int, m Mount, tree int) error {
	rel := strings.TrimPrefix(m.Target, "/")
	switch m.Kind {
	case MountDir:
		fd, err := mkdirBeneath(root, rel, modeOr(m.Mode, 0o755))
		if err == nil {
			unix.Close(fd)
		}
		return err

	case MountSymlink:
		parent, err := mkdirBeneath(root, filepath.Dir(rel), 0o755)
		if err != nil {
			return err
		}
		defer unix.Close(parent)
		err = unix.Symlinkat(m.Source, parent, filepath.Base(rel))
		if errors.Is(err, unix.EEXIST) {
			return nil
		}
		return err

	case MountTmpfs, MountProc:
		target, err := mkdirBeneath(root, rel, 0o755)
		if err != nil {
			return err
		}
		defer unix.Close(target)
		var fsfd int
		if m.Kind == MountProc {
			fsfd, err = newFilesystem("proc", nil, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		} else {
			fsfd, err = newFilesystem("tmpfs", map[string]string{"mode": fmt.Sprintf("%o", modeOr(m.Mode, 0o755))}, int(mountAttrs(m)))
		}
		if err != nil {
			return err
		}
		defer unix.Close(fsfd)
		return unix.MoveMount(fsfd, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)

	case MountBind:
		var target int
		var err error
		if m.File {
			target, err = mkfileBeneath(root, rel)
		} else {
			target, err = mkdirBeneath(root, rel, 0o755)
		}
		if err != nil {
			return err
		}
		defer unix.Close(target)
		return unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	}
	return fmt.Errorf("unknown mount kind %q", m.Kind)
}

func modeOr(mode, def uint32) uint32 {
	if mode == 0 {
		return def
	}
	return mode
}

// newFilesystem creates a detached mount of a new filesystem instance.
func newFilesystem(fstype string, options map[string]string, attrs int) (int, error) {
	fs, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fs)
	for key, value := range options {
		if err := unix.FsconfigSetString(fs, key, value); err != nil {
			return -1, fmt.Errorf("fsconfig %s %s=%s: %w", fstype, key, value, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("fsconfig create %s: %w", fstype, err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return mnt, nil
}

// beneath resolves a path below dirfd without following any symlink and
// without leaving dirfd; it may cross into mounts already placed there.
var beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// mkdirBeneath creates each missing directory of rel below dirfd and returns
// an O_PATH descriptor of the last one. A symlink anywhere on the way is
// reported as ErrPlantedSymlink.
func mkdirBeneath(dirfd int, rel string, mode uint32) (int, error) {
	current, err := unix.Dup(dirfd)
	if err != nil {
		return -1, err
	}
	if rel == "." || rel == "" {
		return current, nil
	}
	for _, name := range strings.Split(rel, "/") {
		next, err := openDirBeneath(current, name)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(current, name, mode); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(current)
				return -1, fmt.Errorf("mkdir %s: %w", name, err)
			}
			next, err = openDirBeneath(current, name)
		}
		unix.Close(current)
		if err != nil {
			return -1, err
		}
		current = next
	}
	return current, nil
}

func openDirBeneath(dirfd int, name string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: uint64(beneath)}
	fd, err := unix.Openat2(dirfd, name, &how)
	if errors.Is(err, unix.ELOOP) {
		return -1, fmt.Errorf("%s: %w", name, ErrPlantedSymlink)
	}
	if errors.Is(err, unix.ENOTDIR) {
		return -1, fmt.Errorf("%s: not a directory: %w", name, err)
	}
	return fd, err
}

// mkfileBeneath creates an empty regular file as a bind target (or opens an
// existing one) below dirfd, without following symlinks.
func mkfileBeneath(dirfd int, rel string) (int, error) {
	parent, err := mkdirBeneath(dirfd, filepath.Dir(rel), 0o755)
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	name := filepath.Base(rel)
	how := unix.OpenHow{
		// O_NONBLOCK keeps a planted FIFO from blocking the open.
		Flags:   unix.O_CREAT | unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC,
		Mode:    0o644,
		Resolve: uint64(beneath),
	}
	fd, err := unix.Openat2(parent, name, &how)
	if errors.Is(err, unix.ELOOP) {
		return -1, fmt.Errorf("%s: %w", rel, ErrPlantedSymlink)
	}
	if err != nil {
		return -1, fmt.Errorf("creating bind target %s: %w", rel, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, fmt.Errorf("bind target %s is not a regular file", rel)
	}
	return fd, nil
}
