package trust

import (
	"fmt"
	"strings"
	"time"
)

// Score changes per session.
const (
	SensitivePenalty = 10 // per sensitive-access attempt
	AnomalyPenalty   = 5  // per network anomaly
	SpawnPenalty     = 2  // per program the game's Windows tree started
	CleanHourBonus   = 2  // per hour of clean runtime
)

// maxCount caps a count before it is multiplied by a penalty. Any count
// above it already takes the score from 100 to 0, and the cap keeps every
// product far inside int64.
const maxCount = 1 << 20

// maxHistory is the number of history entries a game keeps. Older entries
// are dropped and counted in GameState.HistoryDropped.
const maxHistory = 200

// trendSessions is the number of recent sessions the trend looks at.
const trendSessions = 5

// maxExamples is the number of examples a change's reason names, and
// maxExampleLen the runes kept of each. The game chooses those names, and
// they must not grow its state file towards its size limit.
const (
	maxExamples   = 3
	maxExampleLen = 160
)

// Rules are the [trust] settings that scoring applies.
type Rules struct {
	DefaultTier        Tier
	AutoPromote        bool
	PromotionAfterRuns int
	// DemoteOnUpdate lowers a game one tier when its main .exe changes.
	DemoteOnUpdate bool
}

// Session is the record of one run of a game, as a Tally counts it.
type Session struct {
	ID       string
	Start    time.Time
	Duration time.Duration
	// Sensitive lists the distinct targets of sensitive-access attempts,
	// such as decoy paths.
	Sensitive []string
	// Anomalies holds one "reason target" entry per network anomaly.
	Anomalies []string
	// Spawns holds the program of each process the game's Windows tree
	// started, Wine's own helpers left out.
	Spawns []string
	// Denials counts denied or neutralized actions other than network
	// ones, which count through Anomalies.
	Denials int
}

// Clean reports whether the session had no sensitive access, no network
// anomaly and no denial. Programs started do not make a session unclean.
func (s Session) Clean() bool {
	return len(s.Sensitive) == 0 && len(s.Anomalies) == 0 && s.Denials == 0
}

// Change is one score or tier change with its reason.
type Change struct {
	Delta  int    `json:"delta"`
	Reason string `json:"reason"`
}

// Entry kinds in a game's history.
const (
	EntrySession    = "session"
	EntryExeChanged = "exe_changed"
	EntryManual     = "manual"
	EntryReset      = "reset"
	EntryInvalid    = "invalid_state"
	EntryCapped     = "capped"
)

// Entry is one line of a game's history.
type Entry struct {
	Kind            string    `json:"kind"`
	Session         string    `json:"session,omitempty"`
	Date            time.Time `json:"date"`
	DurationSeconds int64     `json:"duration_seconds,omitempty"`
	ScoreBefore     int       `json:"score_before"`
	ScoreAfter      int       `json:"score_after"`
	TierBefore      Tier      `json:"tier_before"`
	TierAfter       Tier      `json:"tier_after"`
	Changes         []Change  `json:"changes"`
	Clean           bool      `json:"clean,omitempty"`
}

// Apply adds a finished session to g: the score changes of the formula, the
// tier rules, the history entry and the trend. It returns the new entry.
//
// The tier moves as follows. A sensitive-access attempt drops the game to
// red at once, lowers the score into the red band, and clears a manual
// override that was better than red, saying so in the entry. Otherwise a
// score below the tier's band lowers the tier to the score's band. With
// AutoPromote, a score that reached a better band raises the tier to it,
// and PromotionAfterRuns clean sessions in a row raise it one tier, lifting
// the score to that tier's band.
func Apply(g *GameState, s Session, rules Rules) Entry {
	e := Entry{Kind: EntrySession, Session: s.ID, Date: s.Start.UTC(), DurationSeconds: int64(s.Duration / time.Second),
		ScoreBefore: g.Score, TierBefore: g.Effective(), Clean: s.Clean(), Changes: []Change{}}
	var sum int64
	add := func(count, penalty int, what string, examples []string) {
		if count == 0 {
			return
		}
		delta := -int64(min(count, maxCount)) * int64(penalty)
		sum += delta
		e.Changes = append(e.Changes, Change{Delta: saturate(delta), Reason: describe(count, what, examples)})
	}
	add(len(s.Sensitive), SensitivePenalty, "sensitive-access attempt", s.Sensitive)
	add(len(s.Anomalies), AnomalyPenalty, "network anomaly", s.Anomalies)
	add(len(s.Spawns), SpawnPenalty, "program the game started or tried to start", s.Spawns)

	if s.Clean() {
		carry := g.CleanCarrySeconds + int64(max(s.Duration, 0)/time.Second)
		hours := carry / 3600
		g.CleanCarrySeconds = carry % 3600
		if hours > 0 {
			delta := min(hours, maxCount) * CleanHourBonus
			sum += delta
			e.Changes = append(e.Changes, Change{Delta: saturate(delta), Reason: fmt.Sprintf("%d h of clean play", hours)})
		}
		g.CleanStreak++
	} else {
		g.CleanCarrySeconds = 0
		g.CleanStreak = 0
		if s.Denials > 0 {
			e.Changes = append(e.Changes, Change{Reason: describe(s.Denials, "denied action", nil) + ", so the session was not clean"})
		}
	}
	g.Score = clampScore(int64(g.Score) + sum)
	applyTierRules(g, s, rules, &e)

	e.ScoreAfter = g.Score
	e.TierAfter = g.Effective()
	g.record(e)
	return e
}

func applyTierRules(g *GameState, s Session, rules Rules, e *Entry) {
	if len(s.Sensitive) > 0 {
		if g.Score > redMax {
			e.Changes = append(e.Changes, Change{Delta: redMax - g.Score, Reason: "score lowered into the red band after a sensitive-access attempt"})
			g.Score = redMax
		}
		if g.Tier != Red {
			e.Changes = append(e.Changes, Change{Reason: "dropped from " + g.Tier.String() + " to red after a sensitive-access attempt"})
			g.Tier = Red
		}
		if g.Override != nil && *g.Override != Red {
			e.Changes = append(e.Changes, Change{Reason: "manual tier " + g.Override.String() + " cleared after a sensitive-access attempt"})
			g.Override = nil
		}
		return
	}
	if band := TierOf(g.Score); band < g.Tier {
		e.Changes = append(e.Changes, Change{Reason: fmt.Sprintf("score %d is below the %s band: tier lowered to %s", g.Score, g.Tier, band) + overrideNote(g)})
		g.Tier = band
		return
	}
	if !rules.AutoPromote {
		return
	}
	if band := TierOf(g.Score); band > g.Tier {
		e.Changes = append(e.Changes, Change{Reason: fmt.Sprintf("score %d reached the %s band: promoted to %s", g.Score, band, band) + overrideNote(g)})
		g.Tier = band
		g.CleanStreak = 0
		return
	}
	if s.Clean() && g.Tier < Green && rules.PromotionAfterRuns > 0 && g.CleanStreak >= rules.PromotionAfterRuns {
		g.Tier++
		reason := fmt.Sprintf("%d clean sessions in a row: promoted to %s", g.CleanStreak, g.Tier) + overrideNote(g)
		delta := 0
		if g.Score < floor(g.Tier) {
			delta = floor(g.Tier) - g.Score
			g.Score = floor(g.Tier)
		}
		e.Changes = append(e.Changes, Change{Delta: delta, Reason: reason})
		g.CleanStreak = 0
	}
}

// overrideNote returns the note, for a reason that changes the earned tier,
// that the tier the user set stays in force.
func overrideNote(g *GameState) string {
	if g.Override == nil {
		return ""
	}
	return " (the tier you set, " + g.Override.String() + ", stays in force)"
}

// NoteExe records a change of the game's main .exe before a run. With
// DemoteOnUpdate the game drops one tier (never below red) and its score is
// lowered into that tier's band. A manual override stays, because the user
// chose it for this game, but the entry records the change.
func NoteExe(g *GameState, exe, sha256 string, rules Rules, now time.Time) (Entry, bool) {
	if sha256 == "" || g.ExeSHA256 == sha256 {
		if g.Exe == "" {
			g.Exe = exe
		}
		return Entry{}, false
	}
	if g.ExeSHA256 == "" {
		g.Exe, g.ExeSHA256 = exe, sha256
		return Entry{}, false
	}
	e := Entry{Kind: EntryExeChanged, Date: now.UTC(), ScoreBefore: g.Score, TierBefore: g.Effective(), Changes: []Change{{
		Reason: fmt.Sprintf("the main .exe changed (SHA-256 %s, was %s), as after a game update", short(sha256), short(g.ExeSHA256)),
	}}}
	g.CleanStreak = 0
	if rules.DemoteOnUpdate && g.Tier > Red {
		g.Tier--
		reason := "tier lowered to " + g.Tier.String() + " until the updated game has proven itself"
		delta := 0
		if g.Score > ceiling(g.Tier) {
			delta = ceiling(g.Tier) - g.Score
			g.Score = ceiling(g.Tier)
		}
		e.Changes = append(e.Changes, Change{Delta: delta, Reason: reason})
	}
	if g.Override != nil {
		e.Changes = append(e.Changes, Change{Reason: "the manual tier " + g.Override.String() + " stays in force"})
	}
	g.Exe, g.ExeSHA256 = exe, sha256
	e.ScoreAfter, e.TierAfter = g.Score, g.Effective()
	g.record(e)
	return e, true
}

// SetOverride records the user's manual tier. Automatic scoring keeps
// changing the score but leaves the tier alone, except that a
// sensitive-access attempt clears an override better than red.
func SetOverride(g *GameState, tier Tier, now time.Time) Entry {
	e := Entry{Kind: EntryManual, Date: now.UTC(), ScoreBefore: g.Score, TierBefore: g.Effective(),
		Changes: []Change{{Reason: "tier set to " + tier.String() + " by the user"}}}
	g.Override = &tier
	e.ScoreAfter, e.TierAfter = g.Score, g.Effective()
	g.record(e)
	return e
}

// Reset returns g to the state of a game seen for the first time, keeping
// its identity and history.
func Reset(g *GameState, rules Rules, now time.Time) Entry {
	e := Entry{Kind: EntryReset, Date: now.UTC(), ScoreBefore: g.Score, TierBefore: g.Effective(),
		Changes: []Change{{Reason: "trust state reset by the user"}}}
	g.Score = StartScore(rules.DefaultTier)
	g.Tier = rules.DefaultTier
	g.Override = nil
	g.CleanStreak = 0
	g.CleanCarrySeconds = 0
	e.ScoreAfter, e.TierAfter = g.Score, g.Effective()
	g.record(e)
	return e
}

// record appends e to the history, drops the oldest entries beyond
// maxHistory and updates the trend.
func (g *GameState) record(e Entry) {
	g.History = append(g.History, e)
	if extra := len(g.History) - maxHistory; extra > 0 {
		g.History = append([]Entry(nil), g.History[extra:]...)
		g.HistoryDropped += extra
	}
	g.Updated = e.Date
	g.Trend = trend(g.History)
}

// trend sums the score changes of the last few sessions.
func trend(history []Entry) string {
	sum, seen := 0, 0
	for i := len(history) - 1; i >= 0 && seen < trendSessions; i-- {
		if history[i].Kind != EntrySession {
			continue
		}
		sum += history[i].ScoreAfter - history[i].ScoreBefore
		seen++
	}
	switch {
	case sum > 0:
		return "rising"
	case sum < 0:
		return "falling"
	}
	return "steady"
}

func clampScore(v int64) int {
	return int(min(max(v, MinScore), MaxScore))
}

// saturate converts a delta to int, which on 32-bit platforms is narrower
// than int64.
func saturate(v int64) int {
	const limit = 1 << 30
	return int(min(max(v, -limit), limit))
}

func describe(count int, what string, examples []string) string {
	text := fmt.Sprintf("%d %s", count, what)
	if count != 1 {
		text = fmt.Sprintf("%d %s", count, plural(what))
	}
	if len(examples) == 0 {
		return text
	}
	shown := make([]string, 0, maxExamples)
	for _, example := range examples[:min(len(examples), maxExamples)] {
		shown = append(shown, clip(example, maxExampleLen))
	}
	text += ": " + strings.Join(shown, ", ")
	if len(examples) > len(shown) {
		text += fmt.Sprintf(" and %d more", len(examples)-len(shown))
	}
	return text
}

func plural(what string) string {
	switch {
	case strings.HasSuffix(what, "anomaly"):
		return strings.TrimSuffix(what, "y") + "ies"
	case strings.HasPrefix(what, "program "):
		return "programs " + strings.TrimPrefix(what, "program ")
	}
	return what + "s"
}

// clip shortens s to n runes, marking the cut with "...".
func clip(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:n]) + "..."
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// NoteInvalid records in a new state that the state it replaces could not
// be used, and why.
func NoteInvalid(g *GameState, status string, reason error, now time.Time) Entry {
	e := Entry{Kind: EntryInvalid, Date: now.UTC(), ScoreBefore: g.Score, TierBefore: g.Effective(),
		Changes: []Change{{Reason: fmt.Sprintf("earlier trust state %s (%v): started over at the default tier", status, reason)}}}
	e.ScoreAfter, e.TierAfter = g.Score, g.Effective()
	g.record(e)
	return e
}

// CapTier lowers g to at most tier: the tier that the last write recorded
// outside the prefix, when the state found in the prefix is better than
// that. The score moves into the tier's band, and a better manual tier is
// cleared. It reports whether anything changed.
func CapTier(g *GameState, tier Tier, reason string, now time.Time) (Entry, bool) {
	if g.Effective() <= tier && g.Tier <= tier {
		return Entry{}, false
	}
	e := Entry{Kind: EntryCapped, Date: now.UTC(), ScoreBefore: g.Score, TierBefore: g.Effective()}
	if g.Tier > tier {
		g.Tier = tier
	}
	delta := 0
	if g.Score > ceiling(tier) {
		delta = ceiling(tier) - g.Score
		g.Score = ceiling(tier)
	}
	if g.Override != nil && *g.Override > tier {
		g.Override = nil
	}
	e.Changes = []Change{{Delta: delta, Reason: "tier lowered to " + tier.String() + ": " + reason}}
	e.ScoreAfter, e.TierAfter = g.Score, g.Effective()
	g.CleanStreak = 0
	g.record(e)
	return e, true
}
