package dnsforward

import (
	"net/netip"
	"sync"
	"time"
)

// failureCounter counts failures between two reports and keeps the last one.
type failureCounter struct {
	mu       sync.Mutex
	count    uint64
	upstream netip.AddrPort
	err      error
}

func (c *failureCounter) add(upstream netip.AddrPort, err error) {
	c.mu.Lock()
	c.count++
	c.upstream, c.err = upstream, err
	c.mu.Unlock()
}

// take returns the count and the last failure, and resets the count.
func (c *failureCounter) take() (uint64, netip.AddrPort, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.count
	c.count = 0
	return n, c.upstream, c.err
}

// reportCounts logs the counts of failures and drops once per interval, and
// once more when the forwarder closes.
func (f *Forwarder) reportCounts() {
	ticker := time.NewTicker(f.limits.reportEvery)
	defer ticker.Stop()
	for {
		select {
		case <-f.ctx.Done():
			f.logCounts()
			return
		case <-ticker.C:
			f.logCounts()
		}
	}
}

// logCounts logs one line per kind of event that happened since the last
// report, with the last upstream and error of that kind.
func (f *Forwarder) logCounts() {
	if n, up, err := f.failedAttempts.take(); n > 0 {
		f.log.Warn("upstream attempts failed", "count", n, "upstream", up, "err", err)
	}
	if n, up, err := f.mismatchedResponses.take(); n > 0 {
		f.log.Warn("ignored upstream responses that do not match the query", "count", n, "upstream", up, "err", err)
	}
	if n := f.droppedQueries.Swap(0); n > 0 {
		f.log.Warn("dropped udp queries over the in-flight limit", "count", n, "limit", f.limits.maxInFlight)
	}
	if n := f.rejectedClients.Swap(0); n > 0 {
		f.log.Warn("closed tcp clients over the connection limit", "count", n, "limit", f.limits.maxTCPClients)
	}
}
