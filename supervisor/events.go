package supervisor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// queueSize bounds the events waiting for the sink. At about 1 KiB per
// event it caps the queue near 4 MiB.
const queueSize = 4096

// The first event into an empty queue wakes the writer, which then waits
// flushInterval, or until flushBatch events wait, and drains the queue.
// Waking it for every event cost the supervisor's loop several
// microseconds per notification (a futex wake-up), which a game making one
// connect after another waited for. An idle queue wakes nobody.
const (
	flushInterval = 10 * time.Millisecond
	flushBatch    = 256
)

// eventQueue carries events from the supervisor to a sink (the session
// log). Put never blocks: when queueSize events wait, a further event is
// counted as dropped, and the writer reports the count as an
// events_dropped record, so the game never waits for the disk and the
// queue never grows without bound. Events reach the sink in the order Put
// received them, at most flushInterval later.
type eventQueue struct {
	mu      sync.Mutex
	pending []audit.Event
	// writing counts events the writer took but has not passed to the
	// sink yet; they count against queueSize too.
	writing int
	closed  bool
	dropped atomic.Int64
	wake    chan struct{}
	sink    func(audit.Event)
	done    chan struct{}
}

func newEventQueue(sink func(audit.Event)) *eventQueue {
	q := &eventQueue{wake: make(chan struct{}, 1), sink: sink, done: make(chan struct{})}
	go q.write()
	return q
}

// Put queues e, stamping it with the current time.
func (q *eventQueue) Put(e audit.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	q.mu.Lock()
	if q.closed || len(q.pending)+q.writing >= queueSize {
		q.mu.Unlock()
		q.dropped.Add(1)
		return
	}
	q.pending = append(q.pending, e)
	n := len(q.pending)
	q.mu.Unlock()
	if n == 1 || n == flushBatch {
		q.signal()
	}
}

func (q *eventQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close writes what is queued and a final drop count, then returns.
func (q *eventQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
	<-q.done
}

func (q *eventQueue) write() {
	defer close(q.done)
	var reported int64
	var batch []audit.Event
	timer := time.NewTimer(flushInterval)
	timer.Stop()
	for {
		<-q.wake
		// Let more events gather, unless a full batch or Close signals.
		timer.Reset(flushInterval)
		select {
		case <-timer.C:
		case <-q.wake:
			timer.Stop()
		}
		q.mu.Lock()
		batch, q.pending = q.pending, batch[:0]
		q.writing = len(batch)
		closed := q.closed
		q.mu.Unlock()
		for _, e := range batch {
			q.sink(e)
			q.mu.Lock()
			q.writing--
			q.mu.Unlock()
		}
		clear(batch)
		if n := q.dropped.Load(); n > reported {
			q.sink(audit.Event{Kind: audit.KindEventsDropped, Detail: "the event queue was full",
				Fields: map[string]any{"dropped": n - reported, "dropped_total": n}})
			reported = n
		}
		if closed {
			q.mu.Lock()
			rest := q.pending
			q.pending = nil
			q.mu.Unlock()
			for _, e := range rest {
				q.sink(e)
			}
			return
		}
	}
}
