package trust

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Names inside a prefix and in WineWarden's data directory.
const (
	DirName  = ".winewarden"
	FileName = "trust.json"
	KeyName  = "trust.key"
)

// maxFileSize bounds what Load reads. A state with the full history of a
// few dozen games stays far below it.
const maxFileSize = 8 << 20

// lockTimeout bounds the wait for another writer of the same state file.
const lockTimeout = 10 * time.Second

// Load statuses, as the session log and `winewarden trust` show them.
const (
	StatusOK           = "ok"
	StatusNew          = "new"          // no state file yet
	StatusMissing      = "missing"      // the file is gone although an earlier run wrote it
	StatusInvalid      = "invalid"      // corrupted or failed the HMAC check
	StatusUnreadable   = "unreadable"   // newer format, or an I/O error
	StatusUnverifiable = "unverifiable" // the key is unusable, so nothing can be checked
)

// Dir returns the directory that holds the trust state of the games in
// prefix: <prefix>/.winewarden, or compatdata/<appid>/.winewarden when
// prefix is a Steam compatdata/<appid>/pfx.
func Dir(prefix string) string {
	prefix = filepath.Clean(prefix)
	parent := filepath.Dir(prefix)
	if filepath.Base(prefix) == "pfx" && filepath.Base(filepath.Dir(parent)) == "compatdata" {
		return filepath.Join(parent, DirName)
	}
	return filepath.Join(prefix, DirName)
}

// LoadKey reads the HMAC key from dataHome/trust.key and creates it (32
// random bytes, hex-encoded, mode 0600) on first use. A key that others can
// read or that belongs to another user is an error, because anyone who can
// read it can forge trust state.
func LoadKey(dataHome string) ([]byte, error) {
	path := filepath.Join(dataHome, KeyName)
	if err := os.MkdirAll(dataHome, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dataHome, err)
	}
	key, err := readKey(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
		key, err = readKey(path)
	}
	return key, err
}

// CheckKey checks the key in dataHome as LoadKey does, without creating a
// missing one, which is not an error: the first run creates it.
func CheckKey(dataHome string) error {
	_, err := readKey(filepath.Join(dataHome, KeyName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func readKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("opening the trust key %s: %w", path, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("trust key %s: %w", path, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fmt.Errorf("trust key %s is not a regular file: remove it, and WineWarden creates a new one (every game then starts at the default tier)", path)
	case int(st.Uid) != os.Getuid():
		return nil, fmt.Errorf("trust key %s belongs to uid %d, not to you (uid %d): remove it, and WineWarden creates a new one", path, st.Uid, os.Getuid())
	case st.Mode&0o077 != 0:
		return nil, fmt.Errorf("trust key %s can be read by other users (mode %04o): run chmod 600 %s, or remove it to start over with a new key", path, st.Mode&0o777, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("reading the trust key %s: %w", path, err)
	}
	key, err := hex.DecodeString(string(trimNewline(data)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("trust key %s is damaged (expected 64 hex digits): remove it, and WineWarden creates a new one (every game then starts at the default tier)", path)
	}
	return key, nil
}

func createKey(path string) error {
	var key [32]byte
	// crypto/rand.Read never returns an error (Go 1.24 and later).
	_, _ = rand.Read(key[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return fmt.Errorf("creating the trust key %s: %w", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing the trust key %s: %w", path, err)
	}
	return nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Store is the trust state directory of one prefix.
type Store struct {
	dir string
	key []byte
}

// LoadResult is the outcome of a Load. State is usable in every case: an empty
// state unless Status is StatusOK.
type LoadResult struct {
	State  *State
	Status string
	// Err is the reason for any status other than ok and new.
	Err error
}

// OpenStore returns the store in dir (see Dir). With create, a missing dir
// is made with mode 0700. The directory must be a real directory of the
// user, not a symlink: a planted symlink could send the state elsewhere.
func OpenStore(dir string, key []byte, create bool) (*Store, error) {
	if create {
		if err := unix.Mkdir(dir, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("creating the trust state directory %s: %w", dir, err)
		}
	}
	fd, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	unix.Close(fd)
	return &Store{dir: dir, key: key}, nil
}

// Path returns the state file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// openDir opens dir without following a symlink in its last element and
// checks that it belongs to the user and that no one else can write it.
func openDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return -1, fmt.Errorf("trust state directory %s is not a directory (a symlink or file was left there): remove it so that WineWarden can recreate it", dir)
		}
		return -1, fmt.Errorf("opening the trust state directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("trust state directory %s: %w", dir, err)
	}
	if int(st.Uid) != os.Getuid() || st.Mode&0o022 != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("trust state directory %s belongs to uid %d with mode %04o: it must be yours and writable only by you (chmod 700 %s)", dir, st.Uid, st.Mode&0o777, dir)
	}
	return fd, nil
}

// Load reads and checks the state file without taking the lock. Use it for
// reading only, and Update for changes.
func (s *Store) Load() LoadResult {
	fd, err := openDir(s.dir)
	if err != nil {
		return LoadResult{State: &State{Games: map[string]*GameState{}}, Status: StatusUnreadable, Err: err}
	}
	defer unix.Close(fd)
	return s.load(fd)
}

func (s *Store) load(dirfd int) LoadResult {
	empty := &State{Games: map[string]*GameState{}}
	if s.key == nil {
		return LoadResult{State: empty, Status: StatusUnverifiable, Err: errors.New("no trust key")}
	}
	fd, err := unix.Openat(dirfd, FileName, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ENOENT) {
		return LoadResult{State: empty, Status: StatusNew}
	}
	if err != nil {
		return LoadResult{State: empty, Status: StatusInvalid, Err: fmt.Errorf("%w: opening %s: %v", ErrInvalid, s.Path(), err)}
	}
	f := os.NewFile(uintptr(fd), s.Path())
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return LoadResult{State: empty, Status: StatusInvalid, Err: fmt.Errorf("%w: %s is not a regular file", ErrInvalid, s.Path())}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return LoadResult{State: empty, Status: StatusUnreadable, Err: fmt.Errorf("reading %s: %w", s.Path(), err)}
	}
	if len(data) > maxFileSize {
		return LoadResult{State: empty, Status: StatusInvalid, Err: fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalid, s.Path(), maxFileSize)}
	}
	st, err := Decode(data, s.key)
	switch {
	case errors.Is(err, ErrNewerVersion):
		return LoadResult{State: empty, Status: StatusUnreadable, Err: err}
	case err != nil:
		return LoadResult{State: empty, Status: StatusInvalid, Err: err}
	}
	return LoadResult{State: st, Status: StatusOK}
}

// Update takes the store's lock, loads the state, lets change modify it and
// writes the result atomically: a temporary file, fsync, rename, and an
// fsync of the directory. An invalid file is kept beside the new one as
// trust.json.invalid-<time> for inspection. A file this version cannot read
// (a newer format, an I/O error) is never overwritten: Update returns an
// error instead. When change returns an error nothing is written.
func (s *Store) Update(change func(LoadResult) error) error {
	if s.key == nil {
		return errors.New("no trust key, so the trust state cannot be written")
	}
	fd, err := openDir(s.dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := lockDir(fd, s.dir); err != nil {
		return err
	}
	defer unix.Flock(fd, unix.LOCK_UN)

	res := s.load(fd)
	if res.Status == StatusUnreadable {
		return fmt.Errorf("not updating the trust state %s: %w", s.Path(), res.Err)
	}
	if err := change(res); err != nil {
		return err
	}
	data, err := Encode(res.State, s.key)
	if err != nil {
		return err
	}
	if res.Status == StatusInvalid {
		aside := FileName + ".invalid-" + time.Now().UTC().Format("20060102T150405.000000000Z")
		if err := unix.Renameat(fd, FileName, fd, aside); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("moving the invalid trust state %s aside: %w", s.Path(), err)
		}
	}
	return writeAtomic(fd, s.dir, FileName, data)
}

func lockDir(fd int, dir string) error {
	deadline := time.Now().Add(lockTimeout)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("locking %s: %w", dir, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("locking %s: another WineWarden process held the trust state for %s; try again", dir, lockTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeAtomic replaces dir/name with data so that a crash leaves either the
// old or the new file, never a mix.
func writeAtomic(dirfd int, dir, name string, data []byte) error {
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := "." + name + ".tmp-" + hex.EncodeToString(suffix[:])
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("writing the trust state in %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, tmp))
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("writing the trust state %s: %w", filepath.Join(dir, name), err)
	}
	if err := unix.Fsync(dirfd); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
