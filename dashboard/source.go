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
// the offset the socket names, then the socket's events. The session cuts
// off a reader that falls behind, so when the stream stops Follow connects
// again and catches up from the log. Once the socket is gone, it reads the
// rest of the log and ends.
func Follow(socket string) (*Feed, error) {
	conn, r, hello, err := dialLive(socket)
	if err != nil {
		return nil, err
	}
	past, err := readLog(hello.Path, 0, hello.offset)
	if err != nil {
		conn.Close()
		return nil, err
	}

	f := newFeed()
	go func() {
		t := tracker{feed: f, path: hello.Path, position: hello.offset}
		t.deliver(past)
		for {
			t.stream(r)
			conn.Close()
			time.Sleep(reconnectPause)
			conn, r, hello, err = dialLive(socket)
			if err != nil {
				// The session is gone: its log holds the rest.
				f.end(t.catchUp(-1))
				return
			}
			if err := t.catchUp(hello.offset); err != nil {
				conn.Close()
				f.end(err)
				return
			}
		}
	}()
	return f, nil
}

// reconnectPause is the wait before connecting again to a session that cut
// the monitor off.
const reconnectPause = 100 * time.Millisecond

// liveHello is the content of a live socket's first line: the session log's
// path and its size when the reader connected.
type liveHello struct {
	Path   string
	offset int64
}

// dialLive connects to a live socket and reads its hello line.
func dialLive(socket string) (net.Conn, *bufio.Reader, liveHello, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, nil, liveHello{}, fmt.Errorf("connecting to the session's live socket %s: %w", socket, err)
	}
	r := bufio.NewReaderSize(conn, 64*1024)
	line, err := r.ReadBytes('\n')
	if err != nil {
		conn.Close()
		return nil, nil, liveHello{}, fmt.Errorf("reading from the live socket %s: %w", socket, err)
	}
	var hello audit.Event
	if err := json.Unmarshal(line, &hello); err != nil || hello.Kind != audit.KindLiveHello {
		conn.Close()
		return nil, nil, liveHello{}, fmt.Errorf("the live socket %s did not start with its hello line", socket)
	}
	return conn, r, liveHello{Path: hello.Path, offset: int64(audit.FieldInt(hello.Fields, "offset"))}, nil
}

// tracker delivers a session's events to a feed and counts the log bytes
// they came from, which the live socket sends unchanged.
type tracker struct {
	feed     *Feed
	path     string
	position int64 // bytes of the log delivered
	exited   bool  // the session's exit event was delivered
}

func (t *tracker) deliver(events []audit.Event) {
	for _, e := range events {
		if e.Kind == audit.KindExit {
			t.exited = true
		}
		t.feed.events <- e
	}
}

// stream delivers the socket's lines until it stops or cuts the reader off.
func (t *tracker) stream(r *bufio.Reader) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		var e audit.Event
		if json.Unmarshal(line, &e) != nil {
			t.position += int64(len(line))
			continue
		}
		if e.Kind == audit.KindLiveOverflow {
			return
		}
		t.position += int64(len(line))
		t.deliver([]audit.Event{e})
	}
}

// catchUp delivers the log from the position reached up to end, or to its
// last whole line when end is -1.
func (t *tracker) catchUp(end int64) error {
	events, err := readLog(t.path, t.position, end)
	if err != nil {
		return err
	}
	t.deliver(events)
	if end >= 0 {
		t.position = end
	}
	if end < 0 && !t.exited {
		return errors.New("the session's log ends without the game's exit: its wrapper stopped before finishing it")
	}
	return nil
}

// readLog reads the events between two offsets of a session log, or from
// start to the last whole line when end is -1.
func readLog(path string, start, end int64) ([]audit.Event, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the session log: %w", err)
	}
	defer file.Close()
	if end >= 0 && end < start {
		return nil, fmt.Errorf("reading the session log %s: it shrank from %d to %d bytes", path, start, end)
	}
	var r io.Reader = io.NewSectionReader(file, start, 1<<62)
	if end >= 0 {
		data := make([]byte, end-start)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("reading the session log %s: %w", path, err)
		}
		r = bytes.NewReader(data)
	}
	events, _, err := audit.Decode(r)
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
