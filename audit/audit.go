// Package audit keeps the durable record of a sandboxed session: one JSON-lines
// file per session that states which protection layers were in force, which
// mounts were made, which accesses were denied or marked as sensitive, and how
// the target exited.
//
// A user reads this record after the game has exited, sometimes after a crash,
// so the file is written as events happen. Each event is one line, written
// with one unbuffered Write call as soon as it is emitted. If the writing
// process dies, every event that Emit returned for is already in the kernel's
// page cache. Surviving a power loss as well requires Sync.
//
// An event that cannot be encoded or written is not lost silently. It is
// counted as dropped, Emit returns the error, and Close appends a warning event
// with the number of dropped events and returns the first error. Events
// emitted after Close are only counted, in Dropped. A caller that gets an error
// from Emit should end the session, because a sandbox must not keep running
// once its record has stopped.
//
// The package assumes one Log per session, written by one process, in a
// directory that only the user can read. Create makes the directory with mode
// 0700 and the file with mode 0600.
//
// NewLogger builds the program's own diagnostic logger (log/slog). That log is
// separate from the audit record.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Event kinds, stored in Event.Kind.
const (
	KindSessionStart    = "session_start"
	KindLayer           = "layer"
	KindMount           = "mount"
	KindDenial          = "denial"
	KindSensitiveAccess = "sensitive_access"
	KindWarning         = "warning"
	KindNotEnforced     = "not_enforced"
	KindExit            = "exit"

	// Events of the supervisor.
	KindProcess       = "process"        // a program start, allowed or denied
	KindProcessExit   = "process_exit"   // a sandboxed process ended
	KindPolicyRace    = "policy_race"    // a started program differed from the approved one
	KindProcessLimit  = "process_limit"  // fork, vfork or clone refused at max_child_processes
	KindNetwork       = "network"        // a connection attempt or a send with a destination
	KindRateLimit     = "rate_limit"     // calls refused by the per-process rate limit in one second
	KindEventsDropped = "events_dropped" // events lost because the event queue was full

	// Events of the network policy and the DNS forwarder.
	KindDNS            = "dns"             // one DNS query of the game and the answer it got
	KindNetworkAnomaly = "network_anomaly" // network behaviour that counts against trust, with its reason
	KindNetworkSummary = "network_summary" // unique destinations and anomaly counts of the session

	// KindTrust records the game's trust state: the tier chosen for the run
	// at the start, and the score change at the end.
	KindTrust = "trust"
)

// Decisions, stored in Event.Decision.
const (
	DecisionDeny        = "deny"
	DecisionAllow       = "allow"
	DecisionNeutralized = "neutralized"
	DecisionKilled      = "killed"
	// DecisionRedirect marks a DNS query sent to the supervisor's forwarder
	// instead of the server the program named.
	DecisionRedirect = "redirect"
)

// Event is one line of a session log. Emit always sets Time and Session. The
// optional fields are omitted from the JSON when empty.
type Event struct {
	Time    time.Time `json:"time"`
	Session string    `json:"session"`
	Kind    string    `json:"kind"`

	// Layer is the protection layer the event is about, such as "landlock",
	// "seccomp" or "userns".
	Layer string `json:"layer,omitempty"`
	// InForce reports whether Layer was enforced. Nil means not stated.
	InForce *bool  `json:"in_force,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Path    string `json:"path,omitempty"`
	Target  string `json:"target,omitempty"`
	// Decision is one of the Decision constants.
	Decision string `json:"decision,omitempty"`
	// Rule names the rule that decided, such as "sacred_zone:SSH keys" or "decoy".
	Rule  string `json:"rule,omitempty"`
	PID   int    `json:"pid,omitempty"`
	Image string `json:"image,omitempty"`
	// ExitCode is the target's exit status. It is nil when the status is
	// unknown or a signal ended the target (see Signal).
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Fields holds extra structured data: game id, prefix, argv, the layers
	// map, peak RSS and the like. After Read, JSON numbers in it are float64.
	Fields map[string]any `json:"fields,omitempty"`
}

// ErrInvalidSession is returned by Create for a session id that is not safe
// as a file name.
var ErrInvalidSession = errors.New("invalid session id")

// maxSessionLen keeps "<session>.jsonl" well below the 255-byte file name
// limit of common Linux file systems.
const maxSessionLen = 128

const sessionTimeLayout = "20060102T150405Z"

// NewSessionID returns an id such as "20261204T201500Z-1a2b3c4d": the UTC time
// of now to the second, a dash and 8 random hex digits. The id sorts by start
// time and is safe as a file name.
func NewSessionID(now time.Time) string {
	var suffix [4]byte
	// The Go 1.26 documentation of crypto/rand.Read states that it never
	// returns an error and crashes the program if its Reader fails.
	_, _ = rand.Read(suffix[:])
	return now.UTC().Format(sessionTimeLayout) + "-" + hex.EncodeToString(suffix[:])
}

// StateDir returns the directory for session logs under stateHome, usually
// $XDG_STATE_HOME.
func StateDir(stateHome string) string {
	return filepath.Join(stateHome, "winewarden", "sessions")
}

// validateSession accepts ids made of [A-Za-z0-9._-] that do not start with
// '.', so the id cannot name a hidden file, "..", or a path outside the
// log directory.
func validateSession(session string) error {
	if session == "" || session[0] == '.' || len(session) > maxSessionLen {
		return invalidSessionError(session)
	}
	for _, c := range []byte(session) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return invalidSessionError(session)
		}
	}
	return nil
}

func invalidSessionError(session string) error {
	return fmt.Errorf("%w %q: use 1 to %d letters, digits, '.', '_' or '-', not starting with '.'",
		ErrInvalidSession, session, maxSessionLen)
}
