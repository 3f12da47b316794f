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

// eventQueue carries events from the supervisor to a sink (the session
// log) through one bounded channel. Put never blocks: when the channel is
// full the event is counted as dropped, and the writer reports the count as
// an events_dropped record, so the game never waits for the disk and the
// queue never grows without bound.
type eventQueue struct {
	ch      chan audit.Event
	dropped atomic.Int64
	sink    func(audit.Event)
	done    chan struct{}
	once    sync.Once
}

func newEventQueue(sink func(audit.Event)) *eventQueue {
	q := &eventQueue{ch: make(chan audit.Event, queueSize), sink: sink, done: make(chan struct{})}
	go q.write()
	return q
}

// Put queues e, stamping it with the current time.
func (q *eventQueue) Put(e audit.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	select {
	case q.ch <- e:
	default:
		q.dropped.Add(1)
	}
}

// Close writes what is queued and a final drop count, then returns.
func (q *eventQueue) Close() {
	q.once.Do(func() { close(q.ch) })
	<-q.done
}

func (q *eventQueue) write() {
	defer close(q.done)
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	var reported int64
	report := func() {
		if n := q.dropped.Load(); n > reported {
			q.sink(audit.Event{Kind: audit.KindEventsDropped, Detail: "the event queue was full",
				Fields: map[string]any{"dropped": n - reported, "dropped_total": n}})
			reported = n
		}
	}
	for {
		select {
		case e, ok := <-q.ch:
			if !ok {
				report()
				return
			}
			q.sink(e)
			if len(q.ch) == 0 {
				report()
			}
		case <-ticker.C:
			report()
		}
	}
}
