package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Read returns the events of the log at path. A final line without a newline
// is the remains of a write cut short by a crash and is ignored. Use Decode to
// learn whether there was one. Any other line that is not a valid event is an
// error naming its line number.
func Read(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	defer f.Close()

	events, _, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("reading audit log %s: %w", path, err)
	}
	return events, nil
}

// Decode parses JSON-lines events from r. It skips blank lines and reports
// truncated = true when the input ends with a line that has no newline, which
// it does not parse. Lines longer than MaxLineSize are an error.
func Decode(r io.Reader) (events []Event, truncated bool, err error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), MaxLineSize)
	scanner.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			truncated = true
			return len(data), nil, nil
		}
		return 0, nil, nil
	})

	lineNumber := 0
	for scanner.Scan() {
		lineNumber++
		line := scanner.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}

		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return events, truncated, fmt.Errorf("line %d: invalid event: %w", lineNumber, err)
		}
		events = append(events, e)
	}
	if err := scanner.Err(); err != nil {
		return events, truncated, fmt.Errorf("line %d: %w", lineNumber+1, err)
	}
	return events, truncated, nil
}
