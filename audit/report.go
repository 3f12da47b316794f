package audit

import (
	"time"
)

// Report is the summary of one session log: what ran, what was blocked,
// where the game connected and how its trust changed. BuildReport makes it
// from the events; WriteReportText prints the short form for a terminal and
// WriteReportJSON the complete form. Every list is sorted, so the same log
// always gives the same report.
type Report struct {
	Session  SessionInfo `json:"session"`
	Layers   []Layer     `json:"layers"`
	Blocked  Blocked     `json:"blocked"`
	Trust    TrustInfo   `json:"trust"`
	Network  Network     `json:"network"`
	Programs []Program   `json:"programs"`
	// PrefixInit is the sandboxed run that created the Wine prefix before
	// the game started, kept apart from the game's own activity. It is nil
	// when the log shows no such run.
	PrefixInit *PrefixInit `json:"prefix_init,omitempty"`
	Warnings   []Warning   `json:"warnings"`
}

// SessionInfo is the header of a report: the session, the command and how it
// ended.
type SessionInfo struct {
	ID          string   `json:"id"`
	GameID      string   `json:"game_id"`
	Exe         string   `json:"exe"` // Linux path of the main .exe, empty when the command named none
	ExeSHA256   string   `json:"exe_sha256,omitempty"`
	Argv        []string `json:"argv"`
	InstallDir  string   `json:"install_dir,omitempty"`
	Prefix      string   `json:"prefix,omitempty"`
	VirtualHome string   `json:"virtual_home,omitempty"`
	NetworkMode string   `json:"network_mode"`
	// Profile is the name of the configuration profile in session_start.
	Profile string   `json:"profile,omitempty"`
	Mounts  []string `json:"mounts"`

	Start     time.Time `json:"start"`
	LastEvent time.Time `json:"last_event"`
	// Ended is true when the log has an exit event. DurationMS then comes
	// from that event, else it is the time from Start to LastEvent.
	Ended      bool   `json:"ended"`
	DurationMS int64  `json:"duration_ms"`
	ExitCode   *int   `json:"exit_code,omitempty"`
	Signal     string `json:"signal,omitempty"`
	ExitDetail string `json:"exit_detail,omitempty"`

	Events int `json:"events"`
	// Truncated is true when the log ended in a partly written line, which
	// LoadReport detects. BuildReport cannot know it.
	Truncated bool `json:"truncated"`
}

// Layer is one protection layer and whether it was enforced.
type Layer struct {
	Name    string `json:"name"`
	InForce bool   `json:"in_force"`
	Detail  string `json:"detail,omitempty"`
}

// Blocked groups everything that was denied, killed or neutralized, each
// group sorted by count and then by name.
type Blocked struct {
	// Total is the sum of all counts below.
	Total int `json:"total"`
	// SensitiveAccess lists decoy files that were opened, by path.
	SensitiveAccess []BlockedItem `json:"sensitive_access"`
	// Programs lists denied program starts by program and rule.
	Programs []BlockedItem `json:"programs"`
	// PolicyRaces lists programs that differed from the approved one after
	// the exec, by the path that ran.
	PolicyRaces []BlockedItem `json:"policy_races"`
	// ProcessLimit counts new processes refused at max_child_processes, by
	// the process that asked.
	ProcessLimit []BlockedItem `json:"process_limit"`
	// RateLimits counts calls refused by the connection rate limit, by the
	// process that made them.
	RateLimits []BlockedItem `json:"rate_limits"`
	// Connections lists denied network destinations.
	Connections []BlockedItem `json:"connections"`
	// DNS lists queries that the DNS forwarder answered by policy instead of
	// forwarding.
	DNS []BlockedItem `json:"dns"`
	// PlantedSymlinks lists symlinks in the virtual home that were moved
	// aside instead of being followed.
	PlantedSymlinks []BlockedItem `json:"planted_symlinks"`
	// Failures lists sandbox or supervisor failures that stopped or
	// prevented the run.
	Failures []BlockedItem `json:"failures"`
}

// BlockedItem is one blocked thing and how often it was blocked.
type BlockedItem struct {
	// Name is the path, program, destination, DNS name or process the
	// item is about. It is empty when the log does not name it.
	Name   string `json:"name"`
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail,omitempty"`
	Count  int    `json:"count"`

	Decision     string `json:"decision,omitempty"`
	WindowsImage string `json:"windows_image,omitempty"`
	Path         string `json:"path,omitempty"`   // Linux path of a denied program
	Target       string `json:"target,omitempty"` // target of a planted symlink
	Domain       string `json:"domain,omitempty"`
	Protocol     string `json:"protocol,omitempty"`
	Type         string `json:"type,omitempty"` // DNS query type
	// Stage is "prefix_init" for an item of the prefix creation run and
	// empty for the game's.
	Stage string `json:"stage,omitempty"`
}

// TrustInfo is the game's trust as the run used it and as the session
// changed it.
type TrustInfo struct {
	Start  *TrustStart  `json:"start,omitempty"`
	Update *TrustUpdate `json:"update,omitempty"`
	// Updated is true when the log records a saved trust update.
	Updated bool `json:"updated"`
	// NotUpdatedReason is the reason Updated is false.
	NotUpdatedReason string `json:"not_updated_reason,omitempty"`
}

// TrustStart is the tier chosen for the run and the state it came from.
type TrustStart struct {
	GameID string  `json:"game_id"`
	Tier   string  `json:"tier"`
	Score  float64 `json:"score"`
	// State is "ok", "new", "invalid", "missing", "unreadable" or
	// "unverifiable".
	State       string `json:"state"`
	StateDetail string `json:"state_detail,omitempty"`
	// Override is the tier the user set by hand, or empty.
	Override          string      `json:"override,omitempty"`
	ExeChanged        bool        `json:"exe_changed"`
	PreviousExeSHA256 string      `json:"previous_exe_sha256,omitempty"`
	Profile           *RunProfile `json:"profile,omitempty"`
	// StatePath is the trust state file the tier was read from.
	StatePath string `json:"state_path,omitempty"`
}

// RunProfile is the policy profile that the tier selected.
type RunProfile struct {
	NetworkMode         string `json:"network_mode"`
	AllowShellExecution bool   `json:"allow_shell_execution"`
	MaxChildProcesses   int    `json:"max_child_processes"`
	Filesystem          string `json:"filesystem"` // "standard" or "strict"
}

// TrustUpdate is the score change at the end of the session.
type TrustUpdate struct {
	GameID      string        `json:"game_id"`
	ScoreBefore float64       `json:"score_before"`
	ScoreAfter  float64       `json:"score_after"`
	TierBefore  string        `json:"tier_before"`
	TierAfter   string        `json:"tier_after"`
	Changes     []TrustChange `json:"changes"`
	Clean       bool          `json:"clean"`
	Trend       string        `json:"trend"` // "rising", "falling" or "steady"
	StatePath   string        `json:"state_path,omitempty"`
	WriteError  string        `json:"write_error,omitempty"`
}

// TrustChange is one score change with its reason. Delta is 0 for a change
// of tier or a note.
type TrustChange struct {
	Delta  float64 `json:"delta"`
	Reason string  `json:"reason"`
}

// Network is the game's network activity. Activity of the prefix creation
// is in PrefixInit instead.
type Network struct {
	Mode string `json:"mode"`
	// Source names where Destinations come from: "network_summary" (exact
	// counts and bytes), "network_events" (one count per logged event, no
	// bytes) or "" when there was no network activity.
	Source              string        `json:"source"`
	UniqueDestinations  int           `json:"unique_destinations"`
	OmittedDestinations int           `json:"omitted_destinations"`
	Destinations        []Destination `json:"destinations"`
	// Local lists Unix, netlink and other non-IP sockets.
	Local     []LocalSocket `json:"local"`
	Anomalies []Anomaly     `json:"anomalies"`
	// AnomalyCounts are the per-reason counts of the network summary.
	AnomalyCounts []ReasonCount `json:"anomaly_counts"`
	DNS           []DNSQuery    `json:"dns"`
}

// Destination is one IP destination of the game.
type Destination struct {
	Domain   string `json:"domain,omitempty"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Decision string `json:"decision"`
	Count    int    `json:"count"`
	// Bytes is the payload the supervisor sent on the game's behalf. It is
	// nil when unknown, because the kernel sent some of the data itself.
	Bytes     *int64    `json:"bytes,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
}

// LocalSocket is one non-IP socket address a program connected or sent to.
type LocalSocket struct {
	Family   string `json:"family"`
	Target   string `json:"target"`
	Decision string `json:"decision"`
	Count    int    `json:"count"`
}

// Anomaly is network behaviour that counts against the game's trust.
type Anomaly struct {
	// Reason is unresolved_ip, denied_by_policy, rate_limit, dns_txt or
	// unique_destinations.
	Reason   string `json:"reason"`
	Target   string `json:"target"`
	Domain   string `json:"domain,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Decision string `json:"decision,omitempty"`
	Image    string `json:"image,omitempty"` // the program that caused it
	Detail   string `json:"detail,omitempty"`
	Count    int    `json:"count"`
}

// ReasonCount is a count per anomaly reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// DNSQuery is one DNS question of the game and the answers it got. Repeated
// questions with the same outcome are counted together.
type DNSQuery struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Decision string `json:"decision"`
	// Result is the forwarder's outcome: forwarded, blocked, failed or
	// malformed.
	Result    string   `json:"result,omitempty"`
	RCode     string   `json:"rcode,omitempty"`
	Addresses []string `json:"addresses"`
	CNAMEs    []string `json:"cnames"`
	// Answers lists the records of the answer section as "TYPE data".
	Answers []string `json:"answers"`
	Error   string   `json:"error,omitempty"`
	Count   int      `json:"count"`
}

// Program is one program the sandbox was asked to start.
type Program struct {
	// Name is the Windows image when known, else the Linux path.
	Name    string `json:"name"`
	Windows bool   `json:"windows"`
	// Wine marks Wine's own programs (loader, wineserver, system services
	// and the helpers of Wine's launcher script) when no program outside
	// Wine started them.
	Wine bool `json:"wine"`
	// Main marks the game's main .exe.
	Main    bool     `json:"main"`
	Allowed int      `json:"allowed"`
	Denied  int      `json:"denied"`
	Rules   []string `json:"rules"` // rules that denied it
	// Argv is the argument vector of the first start.
	Argv []string `json:"argv"`
}

// PrefixInit is the activity of the prefix creation run.
type PrefixInit struct {
	Programs     []Program     `json:"programs"`
	Destinations []Destination `json:"destinations"`
	Anomalies    []Anomaly     `json:"anomalies"`
	DNS          []DNSQuery    `json:"dns"`
}

// Warning is something that makes the report or the run less complete than
// it looks: lost events, an unfinished log, settings not enforced.
type Warning struct {
	// Kind is no_exit, truncated, events_dropped, unverified_execs,
	// warning or not_enforced.
	Kind   string `json:"kind"`
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail"`
	Count  int    `json:"count"`
}

// Stages of a session, as network events name them in Fields["stage"].
const (
	stageGame       = "game"
	stagePrefixInit = "prefix_init"
)

// Details that tell the two trust events apart.
const (
	trustStartDetail  = "tier for this run"
	trustUpdateDetail = "trust updated"
)
