package supervisor

import (
	"net/netip"
	"sync"
	"time"
)

// Bounds of nameStore. A game that resolves more addresses than maxAddrs
// in one session gets the rest counted, not recorded: in restrict mode
// connections to them are then refused, which fails closed.
const (
	maxAddrs        = 65536
	maxNamesPerAddr = 4
)

// nameStore records which DNS names resolved to which addresses during one
// session, from the answers the forwarder passed on. It is safe for
// concurrent use.
type nameStore struct {
	mu     sync.Mutex
	byAddr map[netip.Addr]*addrNames
	// dropped counts addresses not recorded because the store was full.
	dropped int
}

type addrNames struct {
	names []string // the last maxNamesPerAddr names resolved to it, the latest last
	// allowed is set when an answer to a name the policy allows produced
	// the address.
	allowed bool
	// expires is when the longest TTL recorded for the address runs out.
	expires time.Time
}

func newNameStore() *nameStore {
	return &nameStore{byAddr: map[netip.Addr]*addrNames{}}
}

// record notes that name resolved to addrs with the given TTL in seconds.
func (n *nameStore) record(name string, addrs []netip.Addr, ttl uint32, allowed bool, now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	expires := now.Add(time.Duration(ttl) * time.Second)
	for _, a := range addrs {
		a = a.Unmap()
		e := n.byAddr[a]
		if e == nil {
			if len(n.byAddr) >= maxAddrs {
				n.dropped++
				continue
			}
			e = &addrNames{}
			n.byAddr[a] = e
		}
		e.names = appendLatest(e.names, name)
		e.allowed = e.allowed || allowed
		if expires.After(e.expires) {
			e.expires = expires
		}
	}
}

// lookup returns the names ip was resolved from, whether any DNS answer of
// this session produced it, and whether an allowed one did. Expired TTLs
// do not matter: programs keep using addresses after their TTL, and the
// address came from DNS either way.
func (n *nameStore) lookup(ip netip.Addr) (names []string, seen, allowed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.byAddr[ip.Unmap()]
	if e == nil {
		return nil, false, false
	}
	return append([]string(nil), e.names...), true, e.allowed
}

// appendLatest moves name to the end of names, or appends it and drops the
// oldest name beyond maxNamesPerAddr. Addresses that CDNs share among many
// names then report the name a program looked up last.
func appendLatest(names []string, name string) []string {
	out := names[:0]
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	out = append(out, name)
	if len(out) > maxNamesPerAddr {
		out = out[len(out)-maxNamesPerAddr:]
	}
	return out
}
