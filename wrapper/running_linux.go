//go:build linux

package wrapper

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RunningSession describes a session in progress, as `winewarden status`
// lists it.
type RunningSession struct {
	Session string `json:"session"`
	GameID  string `json:"game_id"`
	Exe     string `json:"exe,omitempty"`
	Prefix  string `json:"prefix"`
	Tier    string `json:"tier"`
	Log     string `json:"log"`
	// Socket is the session's live event socket, empty when it could not
	// be created.
	Socket string    `json:"socket,omitempty"`
	PID    int       `json:"pid"`
	Start  time.Time `json:"start"`
}

// runningDir holds one file per running session. The wrapper keeps an
// exclusive lock on its file while the session runs, so a file whose lock
// can be taken was left by a wrapper that died.
func runningDir(dirs xdgDirs) string {
	if filepath.IsAbs(dirs.RuntimeDir) && dirs.RuntimeDir != "/" {
		return filepath.Join(dirs.RuntimeDir, "winewarden", "running")
	}
	return filepath.Join(dirs.StateHome, "winewarden", "running")
}

// liveSocketPath returns the path of a session's live event socket:
// $XDG_RUNTIME_DIR/winewarden/<session>.sock, or beside the running
// sessions' files without a runtime directory.
func liveSocketPath(dirs xdgDirs, session string) string {
	if filepath.IsAbs(dirs.RuntimeDir) && dirs.RuntimeDir != "/" {
		return filepath.Join(dirs.RuntimeDir, "winewarden", session+".sock")
	}
	return filepath.Join(runningDir(dirs), session+".sock")
}

// registerSession writes the session's file and holds its lock until the
// returned function is called.
func registerSession(dirs xdgDirs, s RunningSession) (func(), error) {
	dir := runningDir(dirs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	// The file is locked and filled under a temporary name, so a reader
	// never finds it unlocked and takes it for a dead wrapper's.
	path := filepath.Join(dir, s.Session+".json")
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("registering the session: %w", err)
	}
	fail := func(err error) (func(), error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("registering the session in %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(err)
	}
	data, _ := json.Marshal(s)
	if _, err := f.Write(append(data, '\n')); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

// runningSessions lists the sessions in progress and removes the files of
// wrappers that died.
func runningSessions(dirs xdgDirs) ([]RunningSession, error) {
	dir := runningDir(dirs)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing running sessions: %w", err)
	}
	var out []RunningSession
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == nil {
			// No process holds the lock, so the wrapper is gone.
			os.Remove(path)
			f.Close()
			continue
		}
		var s RunningSession
		err = json.NewDecoder(f).Decode(&s)
		f.Close()
		if err == nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Session < out[j].Session })
	return out, nil
}
