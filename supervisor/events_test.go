package supervisor

import (
	"testing"

	"github.com/winewarden/winewarden/audit"
)

// A sink that stalls must cost events, counted and reported, never a
// blocked Put or an unbounded queue.
func TestEventQueueCountsDrops(t *testing.T) {
	release := make(chan struct{})
	var got []audit.Event
	q := newEventQueue(func(e audit.Event) {
		<-release
		got = append(got, e)
	})
	const pushed = queueSize + 500
	for range pushed {
		q.Put(audit.Event{Kind: audit.KindNetwork})
	}
	close(release)
	q.Close()

	delivered, reported := 0, 0
	for _, e := range got {
		switch e.Kind {
		case audit.KindNetwork:
			delivered++
		case audit.KindEventsDropped:
			reported += int(e.Fields["dropped"].(int64))
		}
	}
	if delivered+reported != pushed {
		t.Errorf("%d delivered + %d reported as dropped, want %d", delivered, reported, pushed)
	}
	if reported == 0 {
		t.Errorf("no events_dropped record after %d events into a stalled sink", pushed)
	}
	if delivered > queueSize+1 {
		t.Errorf("%d events delivered, more than the queue holds", delivered)
	}
}
