package audit

import (
	"strconv"
)

// BuildReport summarizes the events of one session log. It is pure: the
// same events always give the same report. Events may come from Read (JSON
// numbers as float64, lists as []any) or straight from the producers.
func BuildReport(events []Event) Report {
	b := newBuilder(events)
	for i, e := range events {
		b.add(i, e)
	}
	return b.finish()
}

// builder accumulates a report in one pass over the events. Every list is
// kept in a map while counting and sorted once in finish, so the cost is
// O(n log n) in the number of events.
type builder struct {
	r Report
	// prefixEnd is the index of the network summary that closes the prefix
	// creation run, or -1. Supervisor events up to it belong to that run.
	prefixEnd int

	layers     map[string]int // layer name to index in r.Layers
	mainExe    string
	exitSeen   bool
	unverified int
	dropped    int

	sensitive, programsDenied, races, processLimit, rateLimits *itemSet
	connections, dnsDenied, symlinks, failures                 *itemSet

	game, prefix *stageSet

	warnings    map[string]*Warning
	warnOrder   []string
	notEnforced map[string]*Warning
}

// stageSet is the activity of one sandboxed run: the prefix creation or
// the game.
type stageSet struct {
	used      bool
	programs  map[string]*Program
	lastImage map[int]string // pid to the Windows image it last started
	// lastDenied maps a pid to the program whose start it was last refused.
	lastDenied map[int]string
	dests      map[string]*Destination
	summary    map[string]any // fields of the last network_summary
	local      map[string]*LocalSocket
	anomalies  map[string]*Anomaly
	dns        map[string]*dnsSet
}

type dnsSet struct {
	q                         DNSQuery
	addrs, cnames, answerRecs map[string]bool
}

func newStageSet() *stageSet {
	return &stageSet{
		programs: map[string]*Program{}, lastImage: map[int]string{}, lastDenied: map[int]string{}, dests: map[string]*Destination{},
		local: map[string]*LocalSocket{}, anomalies: map[string]*Anomaly{}, dns: map[string]*dnsSet{},
	}
}

func newBuilder(events []Event) *builder {
	b := &builder{
		prefixEnd: -1, layers: map[string]int{},
		sensitive: newItemSet(), programsDenied: newItemSet(), races: newItemSet(),
		processLimit: newItemSet(), rateLimits: newItemSet(), connections: newItemSet(),
		dnsDenied: newItemSet(), symlinks: newItemSet(), failures: newItemSet(),
		game: newStageSet(), prefix: newStageSet(),
		warnings: map[string]*Warning{}, notEnforced: map[string]*Warning{},
	}
	for i, e := range events {
		if e.Kind == KindNetworkSummary && fieldString(e.Fields, "stage") == stagePrefixInit {
			b.prefixEnd = i
		}
	}
	b.r.Session.Events = len(events)
	if len(events) > 0 {
		b.r.Session.ID = events[0].Session
		b.r.Session.Start = events[0].Time
		b.r.Session.LastEvent = events[len(events)-1].Time
	}
	return b
}

// stageOf returns the run an event belongs to. Network anomalies and
// summaries name their stage. Other supervisor events do not, so their
// position before the prefix creation's summary decides.
func (b *builder) stageOf(i int, e Event) *stageSet {
	if s := fieldString(e.Fields, "stage"); s != "" {
		if s == stagePrefixInit {
			return b.prefix
		}
		return b.game
	}
	if i <= b.prefixEnd {
		return b.prefix
	}
	return b.game
}

func (b *builder) add(i int, e Event) {
	if e.Time.After(b.r.Session.LastEvent) {
		b.r.Session.LastEvent = e.Time
	}
	switch e.Kind {
	case KindSessionStart:
		b.sessionStart(e)
	case KindMount:
		b.r.Session.Mounts = append(b.r.Session.Mounts, fieldStrings(e.Fields, "mounts")...)
	case KindLayer:
		b.layer(e)
	case KindDenial:
		b.denial(e)
	case KindSensitiveAccess:
		b.sensitiveAccess(e)
	case KindWarning:
		b.warning("warning", e.Rule, e.Detail, 1)
	case KindNotEnforced:
		w := b.notEnforced[e.Rule]
		if w == nil {
			w = &Warning{Kind: "not_enforced", Rule: e.Rule, Detail: e.Detail}
			b.notEnforced[e.Rule] = w
		}
		w.Count++
	case KindExit:
		b.exit(e)
	case KindProcess:
		b.process(b.stageOf(i, e), e)
	case KindProcessExit:
		delete(b.stageOf(i, e).lastImage, e.PID)
		delete(b.stageOf(i, e).lastDenied, e.PID)
	case KindPolicyRace:
		b.block(b.races, b.stageOf(i, e), e.Path+"\x00"+e.Decision, BlockedItem{Name: e.Path, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision}, 1)
	case KindProcessLimit:
		b.block(b.processLimit, b.stageOf(i, e), e.Image+"\x00"+e.Rule, BlockedItem{Name: e.Image, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision},
			countField(e.Fields, "refused"))
	case KindRateLimit:
		b.block(b.rateLimits, b.stageOf(i, e), e.Image+"\x00"+e.Rule, BlockedItem{Name: e.Image, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision},
			countField(e.Fields, "refused"))
	case KindNetwork:
		b.network(b.stageOf(i, e), e)
	case KindDNS:
		b.dns(b.stageOf(i, e), e)
	case KindNetworkAnomaly:
		b.anomaly(b.stageOf(i, e), e)
	case KindNetworkSummary:
		b.networkSummary(b.stageOf(i, e), e)
	case KindEventsDropped:
		b.dropped += fieldInt(e.Fields, "dropped")
	case KindTrust:
		b.trust(e)
	}
}

func (b *builder) sessionStart(e Event) {
	s := &b.r.Session
	s.ID = e.Session
	s.Start = e.Time
	s.GameID = fieldString(e.Fields, "game_id")
	s.Exe = fieldString(e.Fields, "exe")
	s.ExeSHA256 = fieldString(e.Fields, "exe_sha256")
	s.Argv = fieldStrings(e.Fields, "argv")
	s.InstallDir = fieldString(e.Fields, "install_dir")
	s.Prefix = fieldString(e.Fields, "prefix")
	s.VirtualHome = fieldString(e.Fields, "virtual_home")
	s.NetworkMode = fieldString(e.Fields, "network_mode")
	s.Profile = fieldString(e.Fields, "profile")
	b.mainExe = s.Exe
}

func (b *builder) layer(e Event) {
	if e.Detail == "supervisor summary" {
		b.unverified += fieldInt(e.Fields, "unverified_execs")
		return
	}
	if e.InForce == nil {
		return
	}
	l := Layer{Name: e.Layer, InForce: *e.InForce, Detail: e.Detail}
	if i, ok := b.layers[e.Layer]; ok {
		b.r.Layers[i] = l
		return
	}
	b.layers[e.Layer] = len(b.r.Layers)
	b.r.Layers = append(b.r.Layers, l)
}

func (b *builder) denial(e Event) {
	if e.Decision == DecisionNeutralized || e.Rule == "planted_symlink" {
		b.symlinks.add(e.Path+"\x00"+e.Target, BlockedItem{Name: e.Path, Target: e.Target, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision}, 1)
		return
	}
	b.failures.add(e.Rule+"\x00"+e.Detail, BlockedItem{Name: e.Rule, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision}, 1)
}

// sensitiveAccess counts decoy opens. The first open of each decoy is an
// event with its path. The session's last event of the kind contains the
// count of all opens per path, and the larger of the two numbers wins.
func (b *builder) sensitiveAccess(e Event) {
	if e.Path != "" {
		b.sensitive.add(e.Path, BlockedItem{Name: e.Path, Rule: e.Rule, Detail: e.Detail, Decision: e.Decision}, 1)
		return
	}
	opens := fieldObject(e.Fields, "opens")
	for _, p := range sortedKeys(opens) {
		n, _ := number(opens[p])
		b.sensitive.atLeast(p, BlockedItem{Name: p, Rule: e.Rule, Decision: DecisionDeny}, int(n))
	}
}

func (b *builder) exit(e Event) {
	s := &b.r.Session
	b.exitSeen = true
	s.Ended = true
	s.ExitCode = e.ExitCode
	s.Signal = e.Signal
	s.ExitDetail = e.Detail
	if ms, ok := fieldNumber(e.Fields, "duration_ms"); ok {
		s.DurationMS = int64(ms)
	}
}

// process counts a program start. Wine's loader execs itself up to three
// times for one Windows program (wine64, wine64-preloader, wine64 again,
// all with the same pid), so a start of the image a pid already runs is
// not counted again. Denials are always counted.
func (b *builder) process(st *stageSet, e Event) {
	st.used = true
	linuxPath := fieldString(e.Fields, "path")
	if linuxPath == "" {
		linuxPath = e.Path
	}
	image := fieldString(e.Fields, "windows_image")
	name := image
	if name == "" {
		name = linuxPath
	}
	if name == "" {
		name = e.Image
	}

	if e.Decision == DecisionDeny {
		// Wine tries a second loader when the first start is refused, so
		// one blocked start can be logged twice for one pid.
		if e.PID != 0 {
			if st.lastDenied[e.PID] == name {
				return
			}
			st.lastDenied[e.PID] = name
		}
		b.block(b.programsDenied, st, name+"\x00"+e.Rule, BlockedItem{Name: name, Rule: e.Rule, Detail: e.Detail,
			Decision: e.Decision, WindowsImage: image, Path: linuxPath}, 1)
	} else if e.PID != 0 {
		if last, ok := st.lastImage[e.PID]; ok && image != "" && last == image {
			return
		}
		st.lastImage[e.PID] = image
	}

	p := st.programs[name]
	if p == nil {
		chain := fieldStrings(e.Fields, "chain")
		p = &Program{Name: name, Windows: image != "", Main: isMainExe(name, b.mainExe),
			Wine: WineProgram(image, linuxPath, chain), Argv: fieldStrings(e.Fields, "argv")}
		st.programs[name] = p
	}
	if e.Decision == DecisionDeny {
		p.Denied++
		if e.Rule != "" && !contains(p.Rules, e.Rule) {
			p.Rules = append(p.Rules, e.Rule)
		}
		return
	}
	p.Allowed++
}

func (b *builder) trust(e Event) {
	// The wrapper fills these fields with its own types (a profile struct,
	// a list of changes), so they are read in their JSON form.
	f := jsonFields(e.Fields)
	if e.Detail == trustUpdateDetail || (e.Detail != trustStartDetail && f["score_after"] != nil) {
		u := &TrustUpdate{
			GameID: fieldString(f, "game_id"), TierBefore: fieldString(f, "tier_before"), TierAfter: fieldString(f, "tier_after"),
			Clean: fieldBool(f, "clean"), Trend: fieldString(f, "trend"), StatePath: fieldString(f, "state_path"),
			WriteError: fieldString(f, "write_error"), Changes: []TrustChange{},
		}
		u.ScoreBefore, _ = fieldNumber(f, "score_before")
		u.ScoreAfter, _ = fieldNumber(f, "score_after")
		for _, c := range fieldObjects(f, "changes") {
			delta, _ := fieldNumber(c, "delta")
			u.Changes = append(u.Changes, TrustChange{Delta: delta, Reason: fieldString(c, "reason")})
		}
		b.r.Trust.Update = u
		return
	}
	s := &TrustStart{
		GameID: fieldString(f, "game_id"), Tier: fieldString(f, "tier"), State: fieldString(f, "state"),
		StateDetail: fieldString(f, "state_detail"), Override: fieldString(f, "override"),
		ExeChanged: fieldBool(f, "exe_changed"), PreviousExeSHA256: fieldString(f, "previous_exe_sha256"),
		StatePath: e.Path,
	}
	s.Score, _ = fieldNumber(f, "score")
	if p := fieldObject(f, "profile"); p != nil {
		s.Profile = &RunProfile{NetworkMode: fieldString(p, "network_mode"), AllowShellExecution: fieldBool(p, "allow_shell_execution"),
			MaxChildProcesses: fieldInt(p, "max_child_processes"), Filesystem: fieldString(p, "filesystem")}
	}
	b.r.Trust.Start = s
}

// stageName returns the Stage value of items of st: "" for the game.
func (b *builder) stageName(st *stageSet) string {
	if st == b.prefix {
		return stagePrefixInit
	}
	return ""
}

func (b *builder) warning(kind, rule, detail string, count int) {
	key := kind + "\x00" + rule + "\x00" + detail
	w := b.warnings[key]
	if w == nil {
		w = &Warning{Kind: kind, Rule: rule, Detail: detail}
		b.warnings[key] = w
		b.warnOrder = append(b.warnOrder, key)
	}
	w.Count += count
}

func (b *builder) finish() Report {
	r := &b.r
	s := &r.Session
	if s.Argv == nil {
		s.Argv = []string{}
	}
	if s.Mounts == nil {
		s.Mounts = []string{}
	}
	if r.Layers == nil {
		r.Layers = []Layer{}
	}
	if !s.Ended && !s.Start.IsZero() {
		s.DurationMS = s.LastEvent.Sub(s.Start).Milliseconds()
	}

	bl := &r.Blocked
	bl.SensitiveAccess = b.sensitive.sorted()
	bl.Programs = b.programsDenied.sorted()
	bl.PolicyRaces = b.races.sorted()
	bl.ProcessLimit = b.processLimit.sorted()
	bl.RateLimits = b.rateLimits.sorted()
	bl.Connections = b.connections.sorted()
	bl.DNS = b.dnsDenied.sorted()
	bl.PlantedSymlinks = b.symlinks.sorted()
	bl.Failures = b.failures.sorted()
	for _, list := range [][]BlockedItem{bl.SensitiveAccess, bl.Programs, bl.PolicyRaces, bl.ProcessLimit,
		bl.RateLimits, bl.Connections, bl.DNS, bl.PlantedSymlinks, bl.Failures} {
		for _, item := range list {
			bl.Total += item.Count
		}
	}

	r.Network = b.finishNetwork(b.game)
	r.Programs = sortedPrograms(b.game.programs)
	if b.prefix.used {
		net := b.finishNetwork(b.prefix)
		r.PrefixInit = &PrefixInit{Programs: sortedPrograms(b.prefix.programs), Destinations: net.Destinations,
			Anomalies: net.Anomalies, DNS: net.DNS}
	}
	b.finishTrust()
	b.finishWarnings()
	return *r
}

func (b *builder) finishTrust() {
	t := &b.r.Trust
	switch {
	case t.Update != nil && t.Update.WriteError != "":
		t.NotUpdatedReason = "saving the trust state failed: " + t.Update.WriteError
	case t.Update != nil:
		t.Updated = true
	case !b.exitSeen:
		t.NotUpdatedReason = "the log has no trust update, because the session is still running or did not end cleanly"
	case t.Start == nil:
		t.NotUpdatedReason = "the log has no trust events"
	default:
		t.NotUpdatedReason = "the log has no trust update"
	}
}

func (b *builder) finishWarnings() {
	r := &b.r
	r.Warnings = []Warning{}
	if !b.exitSeen {
		detail := "the log has no exit event: the session is still running or did not end cleanly"
		if b.r.Session.Events == 0 {
			detail = "the log has no events"
		}
		r.Warnings = append(r.Warnings, Warning{Kind: "no_exit", Detail: detail, Count: 1})
	}
	if b.dropped > 0 {
		r.Warnings = append(r.Warnings, Warning{Kind: "events_dropped", Count: b.dropped,
			Detail: strconv.Itoa(b.dropped) + " events were lost because the supervisor's event queue was full, so this report misses them"})
	}
	if b.unverified > 0 {
		r.Warnings = append(r.Warnings, Warning{Kind: "unverified_execs", Count: b.unverified,
			Detail: strconv.Itoa(b.unverified) + " allowed program starts could not be compared with the program that ran (it failed or ended first)"})
	}
	for _, key := range b.warnOrder {
		r.Warnings = append(r.Warnings, *b.warnings[key])
	}
	for _, rule := range sortedKeys(b.notEnforced) {
		r.Warnings = append(r.Warnings, *b.notEnforced[rule])
	}
}
