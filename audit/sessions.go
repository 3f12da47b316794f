package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrSessionNotFound is returned by SessionLogPath and LastSession when the
// requested session log, or any session log, does not exist.
var ErrSessionNotFound = errors.New("session log not found")

// logSuffix is the extension of session log files.
const logSuffix = ".jsonl"

// SessionLogPath returns the path of the log of session in dir, the
// directory that StateDir names. It rejects an id that is not a plain file
// name and returns ErrSessionNotFound, with the way to list the sessions,
// when the log does not exist.
func SessionLogPath(dir, session string) (string, error) {
	if err := validateSession(session); err != nil {
		return "", err
	}
	p := filepath.Join(dir, session+logSuffix)
	info, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: no session %q in %s; list the recorded sessions with: ls %s",
			ErrSessionNotFound, session, dir, dir)
	case err != nil:
		return "", fmt.Errorf("opening the log of session %q: %w", session, err)
	case !info.Mode().IsRegular():
		return "", fmt.Errorf("the log of session %q, %s, is not a regular file", session, p)
	}
	return p, nil
}

// LastSession returns the id of the newest session log in dir. Ids start
// with the UTC start time to the second (NewSessionID), so the greatest
// time prefix wins. Sessions started in the same second are ordered by the
// time of their first event. Files that are not regular, do not end in
// ".jsonl" or do not have a valid id are skipped.
func LastSession(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist; sessions are recorded there by \"winewarden run\"",
			ErrSessionNotFound, dir)
	}
	if err != nil {
		return "", fmt.Errorf("listing session logs: %w", err)
	}

	var newest []string
	for _, entry := range entries {
		id, ok := strings.CutSuffix(entry.Name(), logSuffix)
		if !ok || !entry.Type().IsRegular() || validateSession(id) != nil {
			continue
		}
		switch {
		case len(newest) == 0 || startPrefix(id) > startPrefix(newest[0]):
			newest = []string{id}
		case startPrefix(id) == startPrefix(newest[0]):
			newest = append(newest, id)
		}
	}
	if len(newest) == 0 {
		return "", fmt.Errorf("%w: %s contains no session logs; sessions are recorded there by \"winewarden run\"",
			ErrSessionNotFound, dir)
	}
	best, bestTime := newest[0], firstEventTime(filepath.Join(dir, newest[0]+logSuffix))
	for _, id := range newest[1:] {
		if t := firstEventTime(filepath.Join(dir, id+logSuffix)); t.After(bestTime) || (t.Equal(bestTime) && id > best) {
			best, bestTime = id, t
		}
	}
	return best, nil
}

// startPrefix returns the start-time part of a session id made by
// NewSessionID, or the whole id.
func startPrefix(id string) string {
	if len(id) >= len(sessionTimeLayout) {
		return id[:len(sessionTimeLayout)]
	}
	return id
}

// firstEventTime returns the time of the first event in a log, or the zero
// time when it cannot be read.
func firstEventTime(path string) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, MaxLineSize)).ReadBytes('\n')
	if err != nil {
		return time.Time{}
	}
	var e struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(line, &e) != nil {
		return time.Time{}
	}
	return e.Time
}
