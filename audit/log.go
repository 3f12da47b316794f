package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// MaxLineSize is the maximum length in bytes of one encoded event, newline
// included. Emit drops larger events and Read rejects larger lines.
const MaxLineSize = 1 << 20

// ErrClosed is returned by a Log after Close.
var ErrClosed = errors.New("audit: log is closed")

// Log appends the events of one session to its JSON-lines file. It is safe for
// concurrent use.
//
// After the first failed write the Log writes no more events, so that later
// lines never follow a partly written one. Every later event is counted as
// dropped, and Close makes one last attempt to record the count.
type Log struct {
	path    string
	session string

	mu       sync.Mutex
	file     *os.File
	size     int64 // bytes written completely, where a partial write is cut back to
	dropped  int
	firstErr error // first error of any kind, returned by Close
	writeErr error // first failed write; once set, events are dropped
	partial  bool  // a partial line could not be cut off, so appending would corrupt the log
	closed   bool
	subs     []*Subscription
}

// Create makes dir (mode 0700) if needed and creates dir/<session>.jsonl with
// mode 0600. It fails if the file exists, so a session never appends to
// another session's record, and it rejects a session id that is not a plain
// file name (see ErrInvalidSession).
func Create(dir, session string) (*Log, error) {
	if err := validateSession(session); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating audit log directory: %w", err)
	}

	path := filepath.Join(dir, session+".jsonl")
	// os.OpenFile adds O_CLOEXEC on every Unix, so the sandboxed target never
	// inherits this descriptor. O_APPEND keeps each write at the end of the file.
	file, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	return &Log{path: path, session: session, file: file}, nil
}

// Path returns the path of the log file.
func (l *Log) Path() string { return l.path }

// Emit writes e as one line. It sets e.Session to the log's session and e.Time
// to the current time if it is zero, and stores times in UTC. An event that
// cannot be encoded, is longer than MaxLineSize or cannot be written is
// counted as dropped and its error returned.
func (l *Log) Emit(e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	e.Session = l.session
	line, encodeErr := encodeLine(e)

	l.mu.Lock()
	defer l.mu.Unlock()

	switch {
	case l.closed:
		return l.drop(ErrClosed)
	case encodeErr != nil:
		return l.drop(encodeErr)
	case l.writeErr != nil:
		l.dropped++
		return fmt.Errorf("audit: event dropped after an earlier write failure: %w", l.writeErr)
	}

	if err := l.appendLine(line); err != nil {
		l.writeErr = err
		return l.drop(err)
	}
	l.publish(line)
	return nil
}

// Sync flushes the written events to stable storage with fsync.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.closed {
		return ErrClosed
	}
	if err := l.file.Sync(); err != nil {
		err = fmt.Errorf("syncing %s: %w", l.path, err)
		l.remember(err)
		return err
	}
	return nil
}

// Dropped returns the number of events that were not written.
func (l *Log) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// Close appends a warning event with the number of dropped events if there
// were any, syncs and closes the file. It returns the first error the Log
// met, including errors already returned by Emit, so a caller that checks
// only Close still learns that events were lost.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()

	if l.closed {
		return ErrClosed
	}
	l.closed = true

	if l.dropped > 0 && !l.partial {
		l.appendDropWarning()
	}
	if err := l.file.Sync(); err != nil {
		l.remember(fmt.Errorf("syncing %s: %w", l.path, err))
	}
	if err := l.file.Close(); err != nil {
		l.remember(fmt.Errorf("closing %s: %w", l.path, err))
	}
	for _, sub := range l.subs {
		close(sub.lines)
	}
	l.subs = nil
	return l.firstErr
}

// appendDropWarning tries once to record the drop count, even after a failed
// write, because the cause (a full disk, say) may have cleared. Its own
// failure only adds to firstErr.
func (l *Log) appendDropWarning() {
	e := Event{
		Time:    time.Now().UTC(),
		Session: l.session,
		Kind:    KindWarning,
		Detail:  fmt.Sprintf("%d events were not written to the audit log", l.dropped),
		Fields: map[string]any{
			"dropped":     l.dropped,
			"first_error": l.firstErr.Error(),
		},
	}
	line, err := encodeLine(e)
	if err == nil {
		err = l.appendLine(line)
	}
	if err != nil {
		l.remember(fmt.Errorf("recording %d dropped events: %w", l.dropped, err))
		return
	}
	l.publish(line)
}

// appendLine writes line with one Write call. os.File.Write retries a short
// write, so it returns an error only when part of line or none of it reached
// the file. A partial line is then cut off so the file stays well-formed.
//
// NOTE: the cut-back path is not covered by tests, because provoking a partial
// write needs a file system that fills up mid-write.
func (l *Log) appendLine(line []byte) error {
	n, err := l.file.Write(line)
	if err == nil {
		l.size += int64(n)
		return nil
	}

	err = fmt.Errorf("writing %s: %w", l.path, err)
	if n > 0 {
		if truncErr := l.file.Truncate(l.size); truncErr != nil {
			l.partial = true
			err = errors.Join(err, fmt.Errorf("removing partial line: %w", truncErr))
		}
	}
	return err
}

func (l *Log) drop(err error) error {
	l.dropped++
	l.remember(err)
	return err
}

func (l *Log) remember(err error) {
	if l.firstErr == nil {
		l.firstErr = err
	}
}

// encodeLine returns e as JSON followed by a newline.
func encodeLine(e Event) ([]byte, error) {
	line, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding %s event: %w", e.Kind, err)
	}
	if len(line)+1 > MaxLineSize {
		return nil, fmt.Errorf("encoding %s event: %d bytes exceeds the maximum of %d", e.Kind, len(line)+1, MaxLineSize)
	}
	return append(line, '\n'), nil
}
