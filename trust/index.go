package trust

import (
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
)

// IndexName is the file in WineWarden's data directory that lists where
// each game's trust state lives. The states themselves sit in the games'
// prefixes, all over the disk, and `winewarden trust list` needs to find
// them. The index is not authenticated: it only locates states, and the
// one decision it feeds (a state file that vanished is reported as missing
// instead of new) gives the same default tier either way.
const IndexName = "games.json"

// maxIndexSize bounds what ReadIndex reads.
const maxIndexSize = 16 << 20

// IndexEntry locates one game's trust state.
type IndexEntry struct {
	GameID      string    `json:"game_id"`
	Prefix      string    `json:"prefix"`
	StateDir    string    `json:"state_dir"`
	Exe         string    `json:"exe,omitempty"`
	LastSession string    `json:"last_session,omitempty"`
	LastRun     time.Time `json:"last_run"`
	// StateWritten is set once a state file for the game has been written,
	// so a later run can tell a deleted file from a new game.
	StateWritten bool `json:"state_written"`
	// WrittenBy is the session whose state write succeeded last. A state
	// whose history lacks it is an older copy.
	WrittenBy string `json:"written_by,omitempty"`
	// Tier is the game's tier after its last session or `trust` command,
	// also when the state could not be written. A state in the prefix
	// that claims a better tier was replaced or could not be saved, so a
	// run never gets more than this.
	Tier string `json:"tier,omitempty"`
}

// Index is the content of games.json, by game id.
type Index struct {
	Games map[string]IndexEntry `json:"games"`
}

// ReadIndex reads dataHome/games.json. A missing file is an empty index.
func ReadIndex(dataHome string) (*Index, error) {
	idx := &Index{Games: map[string]IndexEntry{}}
	f, err := os.OpenFile(filepath.Join(dataHome, IndexName), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if errors.Is(err, os.ErrNotExist) {
		return idx, nil
	}
	if err != nil {
		return idx, fmt.Errorf("reading the game index: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return idx, fmt.Errorf("reading the game index %s: %w", f.Name(), err)
	}
	if len(data) > maxIndexSize {
		return idx, fmt.Errorf("game index %s is larger than %d bytes", f.Name(), maxIndexSize)
	}
	if err := json.Unmarshal(data, idx); err != nil {
		return &Index{Games: map[string]IndexEntry{}}, fmt.Errorf("%w: %s: %v (WineWarden rewrites it at the next run; until then `winewarden trust list` misses the games it listed)", ErrIndexDamaged, f.Name(), err)
	}
	if idx.Games == nil {
		idx.Games = map[string]IndexEntry{}
	}
	return idx, nil
}

// UpdateIndex locks dataHome, reads the index, lets change modify it and
// writes it back atomically.
func UpdateIndex(dataHome string, change func(*Index)) error {
	if err := os.MkdirAll(dataHome, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dataHome, err)
	}
	fd, err := unix.Open(dataHome, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dataHome, err)
	}
	defer unix.Close(fd)
	if err := lockDir(fd, dataHome); err != nil {
		return err
	}
	defer unix.Flock(fd, unix.LOCK_UN)
	idx, err := ReadIndex(dataHome)
	if err != nil && !errors.Is(err, ErrIndexDamaged) {
		return err
	}
	change(idx)
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the game index: %w", err)
	}
	return writeAtomic(fd, dataHome, IndexName, append(data, '\n'))
}

// Sorted returns the entries ordered by game id.
func (idx *Index) Sorted() []IndexEntry {
	out := make([]IndexEntry, 0, len(idx.Games))
	for _, e := range idx.Games {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GameID < out[j].GameID })
	return out
}

// ErrIndexDamaged reports a games.json that is not valid JSON. UpdateIndex
// replaces such a file.
var ErrIndexDamaged = errors.New("game index is damaged")

// ErrUnknownGame reports a name that matches no game in the index.
var ErrUnknownGame = errors.New("unknown game")

// Find returns the entry whose game id is name, or the only one that starts
// with name, so that a long id can be abbreviated.
func (idx *Index) Find(name string) (IndexEntry, error) {
	if e, ok := idx.Games[name]; ok {
		return e, nil
	}
	var matches []IndexEntry
	for _, e := range idx.Sorted() {
		if strings.HasPrefix(e.GameID, name) {
			matches = append(matches, e)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return IndexEntry{}, fmt.Errorf("%w %q: `winewarden trust list` shows the games WineWarden has run", ErrUnknownGame, name)
	}
	ids := make([]string, 0, len(matches))
	for _, m := range matches[:min(len(matches), 5)] {
		ids = append(ids, m.GameID)
	}
	return IndexEntry{}, fmt.Errorf("%q matches %d games (%s): give more of the id", name, len(matches), strings.Join(ids, ", "))
}
