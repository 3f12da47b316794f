package dashboard

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/winewarden/winewarden/audit"
)

// Bounds of what State keeps.
const (
	maxEvents       = 5000 // rows of the event log
	maxDNS          = 1000 // DNS queries
	maxProcesses    = 4096 // processes, the oldest exited ones dropped first
	maxDestinations = 4096 // network destinations
	rateSeconds     = 60   // seconds of event rate history
	maxNames        = 64   // DNS names counted per destination
)

// Process states.
const (
	ProcessRunning = "running"
	ProcessExited  = "exited"
	ProcessBlocked = "blocked"
)

// StagePrefixInit names the processes of the Wine prefix's creation, which
// runs in a sandbox of its own before the game.
const StagePrefixInit = "prefix_init"

// Process is one sandboxed process as the Processes screen shows it.
type Process struct {
	PID, PPID int
	Image     string // the Windows image when there is one, else the Linux path
	State     string
	Start     time.Time
	End       time.Time // zero while running
	// Stage is StagePrefixInit for the prefix's creation, else empty.
	Stage string
}

// Destination is one network destination of the game, or of the prefix
// creation when Stage is StagePrefixInit.
type Destination struct {
	Domain string
	// OtherDomains counts further names that resolved to the address.
	OtherDomains int
	Stage        string
	names        map[string]bool // distinct names seen, at most maxNames
	Address      string
	Port         int
	Protocol     string
	Count        int
	Decision     string
}

// DNSQuery is one DNS question and its answer.
type DNSQuery struct {
	Time     time.Time
	Name     string
	Type     string
	Rcode    string
	Answers  []string
	Decision string
}

// Row is one line of the event log.
type Row struct {
	Time     time.Time
	Kind     string
	Process  string
	Target   string
	Decision string
	Rule     string
}

// Layer is one protection layer and whether it is in force.
type Layer struct {
	Name    string
	InForce bool
	Detail  string
}

// State is the dashboard's view of one session, built from its events.
type State struct {
	Session, GameID, Exe string
	NetworkMode          string
	Tier                 string
	Score                int
	ScoreAfter           *int
	TrustChanges         []string
	Start, Last          time.Time
	Ended                bool
	ExitCode             *int
	Signal               string

	Layers []Layer
	// Denials counts the game's denied, killed or neutralized events by
	// kind, and PrefixDenials those of the prefix creation.
	Denials       map[string]int
	PrefixDenials int
	// Rate holds the events per second of the last rateSeconds seconds,
	// ending at Last.
	Rate [rateSeconds]int

	// processes lists every process in start order. running maps each pid
	// of the current stage to its latest process, because a pid can be
	// used again and the prefix creation numbers its pids separately.
	processes    []*Process
	running      map[int]*Process
	stage        string
	destinations map[string]*Destination
	DNS          []DNSQuery
	Events       []Row
	// Dropped counts rows, queries and processes left out by the bounds,
	// and OlderEvents the event log's rows among them.
	Dropped     int
	OlderEvents int
}

// NewState returns an empty State.
func NewState() *State {
	return &State{Denials: map[string]int{}, running: map[int]*Process{}, destinations: map[string]*Destination{}}
}

// Apply adds one event.
func (s *State) Apply(e audit.Event) {
	if e.Kind == audit.KindLiveHello || e.Kind == audit.KindLiveOverflow {
		return
	}
	s.tick(e.Time)
	// Wine tries more than one loader for one program start, so a blocked
	// start can be logged twice for one pid. It counts once.
	repeat := false
	if e.Kind == audit.KindProcess && e.Decision == audit.DecisionDeny {
		p := s.running[e.PID]
		repeat = p != nil && p.State == ProcessBlocked && p.Image == e.Image && audit.FieldString(e.Fields, "stage") == s.stage
	}
	switch e.Kind {
	case audit.KindSessionStart:
		s.Session = e.Session
		s.GameID = audit.FieldString(e.Fields, "game_id")
		s.Exe = audit.FieldString(e.Fields, "exe")
		s.NetworkMode = audit.FieldString(e.Fields, "network_mode")
		s.Start = e.Time
	case audit.KindLayer:
		if e.InForce != nil {
			s.Layers = append(s.Layers, Layer{Name: e.Layer, InForce: *e.InForce, Detail: e.Detail})
		}
	case audit.KindTrust:
		s.trust(e)
	case audit.KindProcess:
		s.process(e)
	case audit.KindProcessExit:
		s.enterStage(e)
		if p := s.running[e.PID]; p != nil {
			if p.State == ProcessRunning {
				p.State, p.End = ProcessExited, e.Time
			}
			// The pid's next start is a process of its own.
			delete(s.running, e.PID)
		}
	case audit.KindNetworkSummary:
		// The prefix creation's summary closes its stage: what came
		// before, even from logs that do not name the stage, was the
		// prefix creation's.
		if audit.FieldString(e.Fields, "stage") == StagePrefixInit {
			s.closePrefixStage(e.Time)
		}
	case audit.KindNetwork:
		s.network(e)
	case audit.KindDNS:
		s.dns(e)
	case audit.KindExit:
		s.Ended, s.ExitCode, s.Signal = true, e.ExitCode, e.Signal
	}
	switch e.Decision {
	case audit.DecisionDeny, audit.DecisionKilled, audit.DecisionNeutralized:
		if !repeat {
			s.deny(e)
		}
	}
	s.row(e)
}

// tick moves the rate window to t and counts one event in its last second.
func (s *State) tick(t time.Time) {
	if t.IsZero() {
		t = s.Last
	}
	s.Advance(t)
	s.Rate[rateSeconds-1]++
}

// Advance moves the rate window on to t, a time without events, and makes
// it the session's latest time. An earlier t changes nothing.
func (s *State) Advance(t time.Time) {
	if s.Last.IsZero() {
		s.Last = t
	}
	if shift := int(t.Truncate(time.Second).Sub(s.Last.Truncate(time.Second)) / time.Second); shift > 0 {
		if shift >= rateSeconds {
			s.Rate = [rateSeconds]int{}
		} else {
			copy(s.Rate[:], s.Rate[shift:])
			clear(s.Rate[rateSeconds-shift:])
		}
	}
	if t.After(s.Last) {
		s.Last = t
	}
}

func (s *State) trust(e audit.Event) {
	if tier := audit.FieldString(e.Fields, "tier"); tier != "" {
		s.Tier = tier
		s.Score = audit.FieldInt(e.Fields, "score")
		return
	}
	if tier := audit.FieldString(e.Fields, "tier_after"); tier != "" {
		after := audit.FieldInt(e.Fields, "score_after")
		s.Tier, s.ScoreAfter = tier, &after
		s.TrustChanges = changeList(e.Fields["changes"])
	}
}

// changeList reads the changes of a trust event as the live socket and the
// log deliver them: a JSON array of {delta, reason} objects.
func changeList(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		reason, _ := m["reason"].(string)
		delta := audit.FieldInt(m, "delta")
		if delta != 0 {
			reason = strconv.Itoa(delta) + " " + reason
			if delta > 0 {
				reason = "+" + reason
			}
		}
		out = append(out, reason)
	}
	return out
}

// closePrefixStage moves everything so far to the prefix creation.
func (s *State) closePrefixStage(at time.Time) {
	for _, p := range s.processes {
		p.Stage = StagePrefixInit
		if p.State == ProcessRunning {
			p.State, p.End = ProcessExited, at
		}
	}
	for key, d := range s.destinations {
		if d.Stage == "" {
			delete(s.destinations, key)
			d.Stage = StagePrefixInit
			s.destinations[d.key()] = d
		}
	}
	for _, n := range s.Denials {
		s.PrefixDenials += n
	}
	clear(s.Denials)
	s.stage = ""
	clear(s.running)
}

// deny counts a denied event. A rate limit event stands for the calls it
// refused.
func (s *State) deny(e audit.Event) {
	n := 1
	if e.Kind == audit.KindRateLimit {
		n = max(audit.FieldInt(e.Fields, "refused"), 1)
	}
	if audit.FieldString(e.Fields, "stage") == StagePrefixInit {
		s.PrefixDenials += n
		return
	}
	s.Denials[e.Kind] += n
}

// enterStage starts the process table of the stage an event names afresh,
// since each stage's sandbox numbers its pids from 1.
func (s *State) enterStage(e audit.Event) {
	stage := audit.FieldString(e.Fields, "stage")
	if stage == "game" {
		stage = ""
	}
	if stage != s.stage {
		s.stage = stage
		clear(s.running)
	}
}

func (s *State) process(e audit.Event) {
	s.enterStage(e)
	p := s.running[e.PID]
	if p == nil || p.State == ProcessExited {
		if len(s.processes) >= maxProcesses && !s.dropExited() {
			s.Dropped++
			return
		}
		p = &Process{PID: e.PID, Start: e.Time, Stage: s.stage}
		s.running[e.PID] = p
		s.processes = append(s.processes, p)
	}
	p.PPID = audit.FieldInt(e.Fields, "ppid")
	p.Image = e.Image
	p.State = ProcessRunning
	if e.Decision == audit.DecisionDeny {
		// A blocked start never ran.
		p.State, p.End = ProcessBlocked, e.Time
	}
}

// dropExited removes the oldest exited process and reports whether there
// was one.
func (s *State) dropExited() bool {
	for i, p := range s.processes {
		if p.State != ProcessRunning {
			if s.running[p.PID] == p {
				delete(s.running, p.PID)
			}
			s.processes = slices.Delete(s.processes, i, i+1)
			s.Dropped++
			return true
		}
	}
	return false
}

func (s *State) network(e audit.Event) {
	address := audit.FieldString(e.Fields, "ip")
	if address == "" {
		address = e.Target
	}
	port := audit.FieldInt(e.Fields, "port")
	protocol := audit.FieldString(e.Fields, "protocol")
	stage := audit.FieldString(e.Fields, "stage")
	if stage != StagePrefixInit {
		stage = ""
	}
	d := &Destination{Address: address, Port: port, Protocol: protocol, Decision: e.Decision, Stage: stage}
	if known := s.destinations[d.key()]; known != nil {
		d = known
	} else {
		if len(s.destinations) >= maxDestinations {
			s.Dropped++
			return
		}
		d.names = map[string]bool{}
		s.destinations[d.key()] = d
	}
	d.Count++
	// The first name stays shown, as in the report, and other names are
	// counted.
	if domain := audit.FieldString(e.Fields, "domain"); domain != "" && !d.names[domain] && len(d.names) < maxNames {
		d.names[domain] = true
		if d.Domain == "" {
			d.Domain = domain
		} else {
			d.OtherDomains++
		}
	}
}

// key identifies a destination in State.destinations.
func (d *Destination) key() string {
	return d.Address + "\x00" + strconv.Itoa(d.Port) + "\x00" + d.Protocol + "\x00" + d.Decision + "\x00" + d.Stage
}

func (s *State) dns(e audit.Event) {
	if len(s.DNS) >= maxDNS {
		s.DNS = s.DNS[1:]
		s.Dropped++
	}
	answers := audit.FieldStrings(e.Fields, "addresses")
	s.DNS = append(s.DNS, DNSQuery{Time: e.Time, Name: e.Target, Type: audit.FieldString(e.Fields, "type"),
		Rcode: audit.FieldString(e.Fields, "rcode"), Answers: answers, Decision: e.Decision})
}

func (s *State) row(e audit.Event) {
	if len(s.Events) >= maxEvents {
		s.Events = s.Events[1:]
		s.Dropped++
		s.OlderEvents++
	}
	target := e.Target
	if target == "" {
		target = e.Path
	}
	if target == "" {
		target = e.Detail
	}
	process := e.Image
	if e.PID != 0 {
		process = strconv.Itoa(e.PID) + " " + e.Image
	}
	s.Events = append(s.Events, Row{Time: e.Time, Kind: e.Kind, Process: process, Target: target, Decision: e.Decision, Rule: e.Rule})
}

// Processes returns the processes in start order.
func (s *State) Processes() []Process {
	out := make([]Process, 0, len(s.processes))
	for _, p := range s.processes {
		out = append(out, *p)
	}
	return out
}

// Destinations returns the destinations, most used first.
func (s *State) Destinations() []Destination {
	out := make([]Destination, 0, len(s.destinations))
	for _, d := range s.destinations {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Address < out[j].Address
	})
	return out
}
