//go:build linux

package wrapper

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// homeDirs are created as real folders in every virtual home, so Wine's
// shell folders (Documents, Desktop...) resolve to the virtual home.
var homeDirs = []string{"Desktop", "Documents", "Downloads", "Music", "Pictures", "Videos", "Templates", ".cache", ".config", ".local/share"}

// Neutralized is a planted symlink that the wrapper moved out of the
// virtual home instead of following it.
type Neutralized struct {
	Path    string // path below the home that was a symlink
	LinkTo  string // link target
	MovedTo string // host path of the quarantined link
}

// tree is a host directory the sandbox can write (the virtual home). All
// access below it goes through openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS; a symlink on the way is moved to quarantine and
// recorded instead of being followed.
type tree struct {
	root       int
	quarantine string
	moved      []Neutralized
}

func openTree(dir, quarantine string) (*tree, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, dir, &how)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return &tree{root: fd, quarantine: quarantine}, nil
}

func (t *tree) Close() { unix.Close(t.root) }

var beneath = uint64(unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS)

// mkdirAll creates rel (slash-separated, relative) and returns an O_PATH
// descriptor of it.
func (t *tree) mkdirAll(rel string) (int, error) {
	current, err := unix.Dup(t.root)
	if err != nil {
		return -1, err
	}
	walked := ""
	for _, name := range strings.Split(filepath.Clean(rel), "/") {
		if name == "." || name == "" {
			continue
		}
		walked = filepath.Join(walked, name)
		next, err := t.openDir(current, name, walked)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(current, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(current)
				return -1, fmt.Errorf("creating %s in the virtual home: %w", walked, err)
			}
			next, err = t.openDir(current, name, walked)
		}
		unix.Close(current)
		if err != nil {
			return -1, err
		}
		current = next
	}
	return current, nil
}

func (t *tree) openDir(parent int, name, walked string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: beneath}
	fd, err := unix.Openat2(parent, name, &how)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		if moved, qerr := t.quarantineEntry(parent, name, walked); qerr != nil {
			return -1, qerr
		} else if moved {
			return -1, unix.ENOENT // the caller creates a real directory
		}
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return -1, fmt.Errorf("opening %s in the virtual home: %w", walked, err)
	}
	return fd, err
}

// quarantineEntry moves a symlink (or, where a directory is needed, a
// non-directory) out of the home into the quarantine directory, which is
// outside every sandbox. Nothing is deleted: the user can inspect it.
func (t *tree) quarantineEntry(parent int, name, walked string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, nil
	}
	link := ""
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		buf := make([]byte, 4096)
		if n, err := unix.Readlinkat(parent, name, buf); err == nil {
			link = string(buf[:n])
		}
	}
	if err := os.MkdirAll(t.quarantine, 0o700); err != nil {
		return false, fmt.Errorf("creating quarantine %s: %w", t.quarantine, err)
	}
	qfd, err := unix.Open(t.quarantine, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("opening quarantine %s: %w", t.quarantine, err)
	}
	defer unix.Close(qfd)
	dest := fmt.Sprintf("%s.%d", strings.ReplaceAll(walked, "/", "_"), time.Now().UnixNano())
	if err := unix.Renameat2(parent, name, qfd, dest, unix.RENAME_NOREPLACE); err != nil {
		return false, fmt.Errorf("moving planted %s out of the virtual home: %w", walked, err)
	}
	t.moved = append(t.moved, Neutralized{Path: walked, LinkTo: link, MovedTo: filepath.Join(t.quarantine, dest)})
	return true, nil
}

// writeFile writes content to rel unless it already holds exactly that.
func (t *tree) writeFile(rel string, content []byte) error {
	dir, err := t.mkdirAll(filepath.Dir(rel))
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	name := filepath.Base(rel)

	var st unix.Stat_t
	if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		if _, err := t.quarantineEntry(dir, name, rel); err != nil {
			return err
		}
	} else if err == nil && st.Size == int64(len(content)) && t.sameContent(dir, name, content) {
		return nil
	}
	how := unix.OpenHow{Flags: unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC, Mode: 0o600, Resolve: beneath}
	fd, err := unix.Openat2(dir, name, &how)
	if err != nil {
		return fmt.Errorf("writing %s in the virtual home: %w", rel, err)
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	if _, err := f.Write(content); err != nil {
		return fmt.Errorf("writing %s in the virtual home: %w", rel, err)
	}
	return nil
}

// sameContent reports whether the regular file name below dir holds exactly
// content, so an unchanged decoy is not rewritten on every launch.
func (t *tree) sameContent(dir int, name string, content []byte) bool {
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC, Resolve: beneath}
	fd, err := unix.Openat2(dir, name, &how)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	buf := make([]byte, len(content)+1)
	n, err := unix.Read(fd, buf)
	return err == nil && n == len(content) && bytes.Equal(buf[:n], content)
}

// dirFD returns an O_PATH descriptor of rel, creating it when missing.
func (t *tree) dirFD(rel string) (int, error) { return t.mkdirAll(rel) }
