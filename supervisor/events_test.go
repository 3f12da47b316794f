package supervisor

import (
	"testing"
	"time"

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

// A lone event still reaches the sink soon, and events keep their order.
func TestEventQueueDeliversInOrder(t *testing.T) {
	got := make(chan audit.Event, 16)
	q := newEventQueue(func(e audit.Event) { got <- e })
	defer q.Close()

	q.Put(audit.Event{Kind: audit.KindNetwork, Target: "first"})
	select {
	case e := <-got:
		if e.Target != "first" {
			t.Errorf("got %q, want first", e.Target)
		}
	case <-time.After(time.Second):
		t.Fatal("a single event did not reach the sink within a second")
	}

	for _, target := range []string{"a", "b", "c"} {
		q.Put(audit.Event{Kind: audit.KindNetwork, Target: target})
	}
	for _, want := range []string{"a", "b", "c"} {
		select {
		case e := <-got:
			if e.Target != want {
				t.Errorf("got %q, want %q", e.Target, want)
			}
		case <-time.After(time.Second):
			t.Fatalf("event %q did not arrive", want)
		}
	}
}
