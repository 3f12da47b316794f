//go:build linux

package dashboard

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// drain reads a feed to its end and returns the events and the end's error.
func drain(t *testing.T, f *Feed) ([]audit.Event, error) {
	t.Helper()
	var events []audit.Event
	deadline := time.After(30 * time.Second)
	for {
		done := make(chan any, 1)
		go func() { done <- f.Next()() }()
		select {
		case msg := <-done:
			switch msg := msg.(type) {
			case EventsMsg:
				events = append(events, msg.Events...)
			case EndedMsg:
				return events, msg.Err
			}
		case <-deadline:
			t.Fatalf("the feed did not end; %d events so far", len(events))
		}
	}
}

func liveSession(t *testing.T) (*audit.Log, *audit.LiveServer) {
	t.Helper()
	dir := t.TempDir()
	log, err := audit.Create(dir, "s1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := audit.ServeLive(filepath.Join(dir, "run", "s1.sock"), log, os.Getuid(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return log, srv
}

func TestFollowCatchesUpAfterFallingBehind(t *testing.T) {
	log, srv := liveSession(t)
	log.Emit(audit.Event{Kind: audit.KindWarning, Detail: "before"})
	feed, err := Follow(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	// The feed is not read while the session logs far more events than
	// the feed and the session's buffer for this reader can take, so the
	// session cuts the reader off.
	const n = 30_000
	for i := range n {
		log.Emit(audit.Event{Kind: audit.KindWarning, Detail: fmt.Sprint(i)})
	}
	log.Emit(audit.Event{Kind: audit.KindExit})

	type result struct {
		events []audit.Event
		err    error
	}
	got := make(chan result, 1)
	go func() {
		events, err := drain(t, feed)
		got <- result{events, err}
	}()
	log.Close()
	srv.Close()
	r := <-got
	if r.err != nil {
		t.Errorf("the feed ended with %v", r.err)
	}
	if len(r.events) != n+2 {
		t.Fatalf("%d events, want %d", len(r.events), n+2)
	}
	if r.events[0].Detail != "before" || r.events[n+1].Kind != audit.KindExit {
		t.Errorf("first %q, last %q", r.events[0].Detail, r.events[n+1].Kind)
	}
	for i := range n {
		if d := r.events[i+1].Detail; d != fmt.Sprint(i) {
			t.Fatalf("event %d is %q: events were lost, repeated or reordered", i+1, d)
		}
	}
}

func TestFollowReportsUnfinishedLog(t *testing.T) {
	log, srv := liveSession(t)
	log.Emit(audit.Event{Kind: audit.KindSessionStart, Session: "s1"})
	feed, err := Follow(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	// The wrapper stops without logging the game's exit.
	log.Close()
	srv.Close()
	events, err := drain(t, feed)
	if len(events) != 1 {
		t.Errorf("%d events, want 1", len(events))
	}
	if err == nil || !strings.Contains(err.Error(), "without the game's exit") {
		t.Errorf("the feed ended with %v, want a log without its exit reported", err)
	}
}
