package audit

// subscriptionBuffer is the number of lines a subscriber may fall behind
// before it is cut off.
const subscriptionBuffer = 4096

// Subscription receives every line that a Log writes after Subscribe
// returned. Emit hands lines over with a non-blocking send, so a subscriber
// that falls subscriptionBuffer lines behind is cut off, with Overflowed
// set, and must read the log file again to catch up.
type Subscription struct {
	lines      chan []byte
	overflowed bool
}

// Lines returns the channel of encoded lines, newline included. It is closed
// when the Log closes or the subscriber fell behind.
func (s *Subscription) Lines() <-chan []byte { return s.lines }

// Overflowed reports, once Lines is closed, whether the subscriber was cut
// off for falling behind rather than because the log ended.
func (s *Subscription) Overflowed() bool { return s.overflowed }

// Subscribe returns a subscription to the lines written from now on, and the
// size of the log file at that moment. The file's first offset bytes and the
// subscription's lines together are the whole log, with no line missing or
// repeated. A closed Log returns a subscription whose channel is closed.
func (l *Log) Subscribe() (*Subscription, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sub := &Subscription{lines: make(chan []byte, subscriptionBuffer)}
	if l.closed {
		close(sub.lines)
		return sub, l.size
	}
	l.subs = append(l.subs, sub)
	return sub, l.size
}

// Unsubscribe stops sub and closes its channel. It is safe to call after
// the Log closed or cut sub off.
func (l *Log) Unsubscribe(sub *Subscription) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.subs {
		if s == sub {
			l.subs = append(l.subs[:i], l.subs[i+1:]...)
			close(sub.lines)
			return
		}
	}
}

// publish hands line to every subscriber without waiting. The caller holds
// l.mu.
func (l *Log) publish(line []byte) {
	kept := l.subs[:0]
	for _, sub := range l.subs {
		select {
		case sub.lines <- line:
			kept = append(kept, sub)
		default:
			sub.overflowed = true
			close(sub.lines)
		}
	}
	clear(l.subs[len(kept):])
	l.subs = kept
}
