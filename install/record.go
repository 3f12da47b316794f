// Package install puts WineWarden into the game launchers: Steam's
// compatibility tools, Lutris's Wine versions, Heroic's wrappers and
// Bottles's runners. Every file it creates or edits is recorded, each
// edited file is backed up first, and uninstalling removes what it created
// and puts the backups back byte for byte.
package install

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/launcher"
)

// flatpakNote explains what installing into a launcher's Flatpak build
// gives.
const flatpakNote = "this is the launcher's Flatpak build, which allows no new namespaces: its games run in WineWarden's degraded Flatpak profile, with Landlock, seccomp and the supervisor but no mount view or private process list (winewarden doctor lists what it gives up); the launcher's native package gets the full sandbox"

// Options are the paths and the mode of an install or uninstall.
type Options struct {
	// Home is the user's home directory, under which the launchers keep
	// their files.
	Home string
	// DataHome is WineWarden's data directory, which holds the record of
	// installed files and the backups.
	DataHome string
	// Binary is the winewarden program the launchers are to run.
	Binary string
	// DryRun reports what would change and changes nothing.
	DryRun bool
	// Out receives one line per change.
	Out io.Writer
}

// Entry records one file that an install created or edited.
type Entry struct {
	Launcher string `json:"launcher"`
	Path     string `json:"path"`
	// Created is true for a file the install created, which uninstall
	// removes; otherwise Backup holds the original.
	Created bool   `json:"created,omitempty"`
	Backup  string `json:"backup,omitempty"`
	// SHA256 is the digest of what the install wrote, so uninstall can
	// tell whether someone changed the file since.
	SHA256 string `json:"sha256"`
	Dir    bool   `json:"dir,omitempty"`
	// SteamApps lists the app ids an install mapped to WineWarden's tool
	// in Steam's config.vdf. Steam rewrites that file on exit, so when it
	// changed, uninstall takes these entries out instead of restoring
	// the backup over Steam's own changes.
	SteamApps []string `json:"steam_apps,omitempty"`
	// Undo names the edit, for files the launcher rewrites in normal use:
	// when such a file changed since, uninstall takes out just that edit
	// instead of restoring the backup over the launcher's changes.
	Undo *Undo `json:"undo,omitempty"`
}

// Undo describes one edit that uninstall can take out of a file again.
type Undo struct {
	// Kind is heroic-wrapper, lutris-prefix-command or bottles-program.
	Kind string `json:"kind"`
	// Name is the Heroic settings section or the Bottles program.
	Name string `json:"name,omitempty"`
	// Binary is the winewarden path the edit wrote.
	Binary string `json:"binary"`
}

// record is the list of installed files, kept in DataHome/installed.json.
type record struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

func recordPath(o Options) string { return filepath.Join(o.DataHome, "installed.json") }

func loadRecord(o Options) (*record, error) {
	data, err := os.ReadFile(recordPath(o))
	if errors.Is(err, os.ErrNotExist) {
		return &record{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the install record: %w", err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil || r.Version != 1 {
		return nil, fmt.Errorf("the install record %s is damaged; move it aside to start a new one", recordPath(o))
	}
	return &r, nil
}

func (r *record) save(o Options) error {
	if o.DryRun {
		return nil
	}
	sort.SliceStable(r.Entries, func(i, j int) bool { return r.Entries[i].Path < r.Entries[j].Path })
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.DataHome, 0o700); err != nil {
		return fmt.Errorf("saving the install record: %w", err)
	}
	return writeAtomic(recordPath(o), append(data, '\n'), 0o600)
}

// Installed counts the recorded files of each launcher, for winewarden
// doctor. An unreadable record counts nothing.
func Installed(dataHome string) map[string]int {
	counts := map[string]int{}
	rec, err := loadRecord(Options{DataHome: dataHome})
	if err != nil {
		return counts
	}
	for _, e := range rec.Entries {
		if !e.Dir {
			counts[e.Launcher]++
		}
	}
	return counts
}

func (r *record) find(path string) *Entry {
	for i := range r.Entries {
		if r.Entries[i].Path == path {
			return &r.Entries[i]
		}
	}
	return nil
}

// session applies the changes of one install or uninstall to the record.
type session struct {
	o        Options
	launcher string
	rec      *record
	stamp    string
	changed  int
	// madeDirs holds the directories created so far, which a dry run only
	// pretends to create.
	madeDirs map[string]bool
}

func begin(o Options, launcher string) (*session, error) {
	rec, err := loadRecord(o)
	if err != nil {
		return nil, err
	}
	return &session{o: o, launcher: launcher, rec: rec, stamp: time.Now().UTC().Format("20060102T150405Z"), madeDirs: map[string]bool{}}, nil
}

func (s *session) say(format string, args ...any) {
	prefix := ""
	if s.o.DryRun {
		prefix = "would "
	}
	fmt.Fprintf(s.o.Out, "%s: %s%s\n", s.launcher, prefix, fmt.Sprintf(format, args...))
}

// mkdir creates dir and the missing directories above it, recording each
// one it created so uninstall can remove it again when empty.
func (s *session) mkdir(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || s.madeDirs[d] {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		s.say("create directory %s", d)
		s.madeDirs[d] = true
		if !s.o.DryRun {
			if err := os.Mkdir(d, 0o755); err != nil {
				return err
			}
		}
		s.rec.Entries = append(s.rec.Entries, Entry{Launcher: s.launcher, Path: d, Created: true, Dir: true})
		s.changed++
	}
	return nil
}

// put writes content to path. An existing file with other content is
// backed up first, unless this install created it.
func (s *session) put(path string, content []byte, mode os.FileMode) error {
	if err := s.mkdir(filepath.Dir(path)); err != nil {
		return err
	}
	sum := digest(content)
	old, err := readRegular(path)
	switch {
	case err == nil && bytes.Equal(old, content):
		if e := s.rec.find(path); e != nil {
			e.SHA256 = sum
		}
		return s.chmod(path, mode)
	case err == nil:
		return s.replace(path, func([]byte) ([]byte, error) { return content, nil }, mode)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	s.say("create %s", path)
	if !s.o.DryRun {
		if err := writeAtomic(path, content, mode); err != nil {
			return err
		}
	}
	s.rec.Entries = append(s.rec.Entries, Entry{Launcher: s.launcher, Path: path, Created: true, SHA256: sum})
	s.changed++
	return nil
}

func (s *session) chmod(path string, mode os.FileMode) error {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() == mode || s.o.DryRun {
		return err
	}
	return os.Chmod(path, mode)
}

// replace rewrites an existing file with edit's result, keeping its mode
// when mode is 0. The first edit backs the original up.
func (s *session) replace(path string, edit func([]byte) ([]byte, error), mode os.FileMode) error {
	old, err := readRegular(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if mode == 0 {
		mode = info.Mode().Perm()
	}

	content, err := edit(old)
	if err != nil {
		return err
	}
	if bytes.Equal(old, content) {
		return nil
	}

	e := s.rec.find(path)
	// A file edited before and changed since, by the launcher or by hand,
	// is backed up again: uninstall restores the file as it was just
	// before this edit, not an older copy.
	if e != nil && e.Backup != "" && digest(old) != e.SHA256 {
		s.say("%s changed since the last install", path)
		e.Backup = ""
	}
	if e == nil || (!e.Created && e.Backup == "") {
		backup := filepath.Join(s.o.DataHome, "backups", s.stamp, strings.TrimPrefix(filepath.Clean(path), "/"))
		s.say("back up %s to %s", path, backup)
		if !s.o.DryRun {
			if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
				return err
			}
			if err := writeAtomic(backup, old, info.Mode().Perm()); err != nil {
				return err
			}
		}
		if e == nil {
			s.rec.Entries = append(s.rec.Entries, Entry{Launcher: s.launcher, Path: path})
			e = &s.rec.Entries[len(s.rec.Entries)-1]
		}
		e.Backup = backup
	}

	s.say("edit %s", path)
	if !s.o.DryRun {
		if err := writeAtomic(path, content, mode); err != nil {
			return err
		}
	}
	e.SHA256 = digest(content)
	s.changed++
	return nil
}

// abort saves what an install changed before it failed, without claiming
// that nothing changed.
func (s *session) abort(err error) error {
	if saveErr := s.rec.save(s.o); saveErr != nil {
		return errors.Join(err, saveErr)
	}
	return err
}

func (s *session) finish() error {
	if s.changed == 0 {
		fmt.Fprintf(s.o.Out, "%s: already installed, nothing to change\n", s.launcher)
	}
	return s.rec.save(s.o)
}

// Uninstall removes what installs for launcher created and restores the
// files they edited from their backups. A file changed since the install
// is kept and reported.
func Uninstall(o Options, launcher string) error {
	s, err := begin(o, launcher)
	if err != nil {
		return err
	}
	var others []Entry
	var mine []Entry

	for _, e := range s.rec.Entries {
		if e.Launcher == launcher {
			mine = append(mine, e)
		} else {
			others = append(others, e)
		}
	}
	// Deepest paths first, so files go before their directories.
	sort.SliceStable(mine, func(i, j int) bool { return len(mine[i].Path) > len(mine[j].Path) })
	var problems []error
	for _, e := range mine {
		// A file kept because it changed leaves the record too: it is
		// reported once, with its backup, and no longer counts as
		// installed. One kept because its launcher runs stays recorded,
		// for the next uninstall.
		err := s.undo(e)
		if err != nil {
			problems = append(problems, err)
		}
		if errors.Is(err, errLauncherRunning) {
			others = append(others, e)
		}
	}
	if len(mine) == 0 {
		fmt.Fprintf(o.Out, "%s: nothing installed\n", launcher)
	}
	s.rec.Entries = others
	if err := s.rec.save(o); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// errLauncherRunning marks a file left alone because its launcher runs
// and would write the file over.
var errLauncherRunning = errors.New("the launcher is running")

// launcherProcess names each launcher's process, as /proc/PID/comm shows
// it.
var launcherProcess = map[string]string{
	launcher.Steam: "steam", launcher.Heroic: "heroic", launcher.Lutris: "lutris", launcher.Bottles: "bottles",
}

func (s *session) undo(e Entry) error {
	// The launchers write their own files over while they run, so an
	// edited file is restored only while its launcher is closed.
	if !e.Dir && !e.Created && running(launcherProcess[e.Launcher]) {
		return fmt.Errorf("%w and would write %s over: quit it, then uninstall again", errLauncherRunning, e.Path)
	}
	switch {
	case e.Dir:
		s.say("remove directory %s if empty", e.Path)
		if !s.o.DryRun {
			if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) {
				return err
			}
		}
	case e.Created:
		current, err := readRegular(e.Path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if digest(current) != e.SHA256 {
			return fmt.Errorf("%s changed since it was installed, so it was kept: remove it yourself if it is no longer needed", e.Path)
		}
		s.say("remove %s", e.Path)
		if !s.o.DryRun {
			return os.Remove(e.Path)
		}
	default:
		original, err := readRegular(e.Backup)
		if err != nil {
			return fmt.Errorf("restoring %s: its backup %s cannot be read: %w", e.Path, e.Backup, err)
		}
		if current, err := readRegular(e.Path); err == nil && digest(current) != e.SHA256 {
			if len(e.SteamApps) > 0 || e.Undo != nil {
				return s.takeOut(e, current)
			}
			return fmt.Errorf("%s changed since it was edited, so it was kept; the original is in %s", e.Path, e.Backup)
		}
		info, err := os.Stat(e.Backup)
		if err != nil {
			return err
		}
		s.say("restore %s from %s", e.Path, e.Backup)
		if !s.o.DryRun {
			return writeAtomic(e.Path, original, info.Mode().Perm())
		}
	}
	return nil
}

// takeOut removes one recorded edit from a file the launcher changed
// since, keeping the launcher's changes.
func (s *session) takeOut(e Entry, current []byte) error {
	var out []byte
	var err error
	kind := ""
	if e.Undo != nil {
		kind = e.Undo.Kind
	}
	switch {
	case len(e.SteamApps) > 0:
		out, err = unmapSteamApps(e, current)
	case kind == "heroic-wrapper":
		out, err = removeHeroicWrapper(current, e.Path, e.Undo.Name, e.Undo.Binary)
	case kind == "lutris-prefix-command":
		out, err = removePrefixCommand(current, e.Path, e.Undo.Binary)
	case kind == "bottles-program":
		out, err = unwrapBottlesProgram(current, e.Path, e.Undo.Name, e.Undo.Binary)
	default:
		return fmt.Errorf("%s changed since it was edited, so it was kept; the original is in %s", e.Path, e.Backup)
	}
	if err != nil {
		return fmt.Errorf("%w; the original is in %s", err, e.Backup)
	}
	s.say("take WineWarden out of %s (it changed since, so its backup %s is not put back)", e.Path, e.Backup)
	if s.o.DryRun {
		return nil
	}
	info, err := os.Stat(e.Path)
	if err != nil {
		return err
	}
	return writeAtomic(e.Path, out, info.Mode().Perm())
}

// editFile is an install that edits one launcher file: it backs the file
// up, rewrites it with edit, and lets record note on the file's entry how
// uninstall can take the edit out again.
func editFile(o Options, launcherName, path string, edit func([]byte) ([]byte, error), record func(e *Entry)) error {
	return editFileWith(o, launcherName, nil, path, edit, record)
}

// editFileWith is editFile that first runs before in the same session, to
// install a file the edit refers to.
func editFileWith(o Options, launcherName string, before func(*session) error, path string, edit func([]byte) ([]byte, error), record func(e *Entry)) error {
	s, err := begin(o, launcherName)
	if err != nil {
		return err
	}
	if before != nil {
		if err := before(s); err != nil {
			return s.abort(err)
		}
	}
	if err := s.replace(path, edit, 0); err != nil {
		return s.abort(err)
	}
	if e := s.rec.find(path); e != nil && !e.Created {
		record(e)
	}
	return s.finish()
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readRegular reads a regular file; a symlink or a device is an error, so
// an install never writes through a link into another file.
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link; WineWarden edits only regular files", path)
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// writeAtomic writes content to a temporary file beside path and renames
// it over path.
func writeAtomic(path string, content []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".winewarden-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
