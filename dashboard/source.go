package dashboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/winewarden/winewarden/audit"
)

// frameInterval is the shortest time between two redraws: at most 20
// frames per second.
const frameInterval = 50 * time.Millisecond

// maxBatch bounds the events of one EventsMsg.
const maxBatch = 5000

// Feed turns a stream of events into bubbletea messages: Next waits for the
// first event, then gathers more for up to frameInterval, so the model
// redraws at most 20 times per second and not at all while nothing
// arrives.
type Feed struct {
	events chan audit.Event
	errs   chan error
}

func newFeed() *Feed {
	return &Feed{events: make(chan audit.Event, maxBatch), errs: make(chan error, 1)}
}

// Next returns the command that receives the next batch.
func (f *Feed) Next() tea.Cmd {
	return func() tea.Msg {
		first, ok := <-f.events
		if !ok {
			return EndedMsg{Err: <-f.errs}
		}
		batch := []audit.Event{first}
		deadline := time.After(frameInterval)
		for len(batch) < maxBatch {
			select {
			case e, ok := <-f.events:
				if !ok {
					return EventsMsg{Events: batch}
				}
				batch = append(batch, e)
			case <-deadline:
				return EventsMsg{Events: batch}
			}
		}
		return EventsMsg{Events: batch}
	}
}

// end closes the feed with err (nil for a normal end).
func (f *Feed) end(err error) {
	f.errs <- err
	close(f.events)
}

// Replay feeds the events of a session log, keeping their pace divided by
// speed (0 replays at once). A pause longer than maxGap is shortened to it.
func Replay(path string, speed float64, maxGap time.Duration) (*Feed, error) {
	events, err := audit.Read(path)
	if err != nil {
		return nil, err
	}
	f := newFeed()
	go func() {
		var last time.Time
		for _, e := range events {
			if speed > 0 && !last.IsZero() && e.Time.After(last) {
				gap := time.Duration(float64(e.Time.Sub(last)) / speed)
				time.Sleep(min(gap, maxGap))
			}
			last = e.Time
			f.events <- e
		}
		f.end(nil)
	}()
	return f, nil
}

// Follow feeds a running session from its live socket: the log file up to
// the offset the socket names, then the socket's events. When the monitor
// fell behind and the socket cut it off, Follow returns an error saying so.
func Follow(socket string) (*Feed, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("connecting to the session's live socket %s: %w", socket, err)
	}
	r := bufio.NewReaderSize(conn, 64*1024)
	line, err := r.ReadBytes('\n')
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("reading from the live socket %s: %w", socket, err)
	}
	var hello audit.Event
	if err := json.Unmarshal(line, &hello); err != nil || hello.Kind != audit.KindLiveHello {
		conn.Close()
		return nil, fmt.Errorf("the live socket %s did not start with its hello line", socket)
	}
	offset := int64(audit.FieldInt(hello.Fields, "offset"))
	past, err := readPrefix(hello.Path, offset)
	if err != nil {
		conn.Close()
		return nil, err
	}

	f := newFeed()
	go func() {
		defer conn.Close()
		for _, e := range past {
			f.events <- e
		}
		for {
			line, err := r.ReadBytes('\n')
			if errors.Is(err, io.EOF) {
				f.end(nil)
				return
			}
			if err != nil {
				f.end(err)
				return
			}
			var e audit.Event
			if json.Unmarshal(line, &e) != nil {
				continue
			}
			if e.Kind == audit.KindLiveOverflow {
				f.end(errors.New("the monitor fell behind the session; start it again to catch up"))
				return
			}
			f.events <- e
		}
	}()
	return f, nil
}

// readPrefix reads the events in the first size bytes of a session log.
func readPrefix(path string, size int64) ([]audit.Event, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the session log: %w", err)
	}
	defer file.Close()
	data := make([]byte, size)
	if _, err := io.ReadFull(file, data); err != nil {
		return nil, fmt.Errorf("reading the session log %s: %w", path, err)
	}
	events, _, err := audit.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading the session log %s: %w", path, err)
	}
	return events, nil
}

// Wait returns a feed that polls find every interval until it names the
// live socket of a session, and then follows that session.
func Wait(find func() (string, bool), interval time.Duration) *Feed {
	f := newFeed()
	go func() {
		for {
			socket, ok := find()
			if ok {
				live, err := Follow(socket)
				if err == nil {
					for e := range live.events {
						f.events <- e
					}
					f.end(<-live.errs)
					return
				}
			}
			time.Sleep(interval)
		}
	}()
	return f
}
