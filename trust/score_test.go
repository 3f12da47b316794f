package trust

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

var defaultRules = Rules{DefaultTier: Yellow, AutoPromote: true, PromotionAfterRuns: 5, DemoteOnUpdate: true}

func names(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix
	}
	return out
}

func TestApplyFormula(t *testing.T) {
	cases := []struct {
		name  string
		score int
		carry int64
		s     Session
		want  int
	}{
		{"nothing happened, short run", 50, 0, Session{Duration: 10 * time.Minute}, 50},
		{"one clean hour", 50, 0, Session{Duration: time.Hour}, 52},
		{"three clean hours and a bit", 50, 0, Session{Duration: 3*time.Hour + 59*time.Minute}, 56},
		{"carried clean time completes an hour", 50, 3000, Session{Duration: 10 * time.Minute}, 52},
		{"one sensitive access", 50, 0, Session{Sensitive: []string{"~/.ssh/id_rsa"}}, 25},
		{"sensitive access from low score", 20, 0, Session{Sensitive: []string{"~/.ssh/id_rsa"}}, 10},
		{"two anomalies", 50, 0, Session{Anomalies: names(2, "unresolved_ip 192.0.2.1:443")}, 40},
		{"three spawns, still clean time", 50, 0, Session{Spawns: names(3, "cmd.exe"), Duration: time.Hour}, 46},
		{"anomaly voids clean hours", 50, 0, Session{Anomalies: names(1, "x"), Duration: 5 * time.Hour}, 45},
		{"denial voids clean hours", 50, 0, Session{Denials: 1, Duration: 5 * time.Hour}, 50},
		{"clamped at 100", 99, 0, Session{Duration: 10 * time.Hour}, 100},
		{"clamped at 0", 3, 0, Session{Spawns: names(5, "a.exe")}, 0},
		{"underflow with a huge count", 50, 0, Session{Anomalies: names(3_000_000, "")}, 0},
		{"huge clean duration does not overflow", 50, 0, Session{Duration: time.Duration(math.MaxInt64)}, 100},
		{"negative duration adds nothing", 50, 0, Session{Duration: -time.Hour}, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewGame("g", defaultRules, start)
			g.Score, g.CleanCarrySeconds = c.score, c.carry
			g.Tier = TierOf(c.score)
			Apply(g, c.s, defaultRules)
			if g.Score != c.want {
				t.Errorf("score %d after %+v, want %d (history %+v)", g.Score, c.s, c.want, g.History)
			}
			if g.Score < MinScore || g.Score > MaxScore {
				t.Errorf("score %d outside 0..100", g.Score)
			}
		})
	}
}

func TestApplyRecordsReasons(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	e := Apply(g, Session{ID: "s1", Start: start, Duration: time.Minute,
		Anomalies: []string{"unresolved_ip 192.0.2.1:443", "rate_limit", "dns_txt x.test", "unique_destinations"},
		Spawns:    []string{`C:\users\alice\Temp\drop.exe`}}, defaultRules)
	if e.Session != "s1" || e.ScoreBefore != 50 || e.ScoreAfter != 28 {
		t.Fatalf("entry %+v", e)
	}
	var reasons []string
	sum := 0
	for _, c := range e.Changes {
		reasons = append(reasons, c.Reason)
		sum += c.Delta
	}
	if sum != -22 {
		t.Errorf("deltas add up to %d, want -22", sum)
	}
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"4 network anomalies: unresolved_ip 192.0.2.1:443, rate_limit, dns_txt x.test and 1 more",
		`1 program the game started or tried to start: C:\users\alice\Temp\drop.exe`} {
		if !strings.Contains(joined, want) {
			t.Errorf("reasons %q lack %q", joined, want)
		}
	}
	if len(g.History) != 1 || g.Trend != "falling" {
		t.Errorf("history %d entries, trend %q", len(g.History), g.Trend)
	}
}

func TestTierBands(t *testing.T) {
	for score, want := range map[int]Tier{0: Red, 25: Red, 26: Yellow, 75: Yellow, 76: Green, 100: Green} {
		if got := TierOf(score); got != want {
			t.Errorf("TierOf(%d) = %s, want %s", score, got, want)
		}
	}
	for tier, want := range map[Tier]int{Red: 25, Yellow: 50, Green: 76} {
		if got := StartScore(tier); got != want {
			t.Errorf("StartScore(%s) = %d, want %d", tier, got, want)
		}
	}
}

func TestParseTier(t *testing.T) {
	for _, s := range []string{"red", "Yellow", "GREEN"} {
		if _, err := ParseTier(s); err != nil {
			t.Errorf("ParseTier(%q): %v", s, err)
		}
	}
	if _, err := ParseTier("blue"); err == nil || !strings.Contains(err.Error(), "red, yellow or green") {
		t.Errorf("ParseTier(blue) error %v", err)
	}
}

func TestPromotionAfterCleanRuns(t *testing.T) {
	rules := Rules{DefaultTier: Yellow, AutoPromote: true, PromotionAfterRuns: 3}
	g := NewGame("g", rules, start)
	for i := 1; i <= 2; i++ {
		Apply(g, Session{Duration: time.Minute}, rules)
		if g.Tier != Yellow || g.CleanStreak != i {
			t.Fatalf("after %d clean runs: tier %s, streak %d", i, g.Tier, g.CleanStreak)
		}
	}
	e := Apply(g, Session{Duration: time.Minute}, rules)
	if g.Tier != Green || g.Score != 76 || g.CleanStreak != 0 {
		t.Fatalf("third clean run: tier %s score %d streak %d, want green 76 0", g.Tier, g.Score, g.CleanStreak)
	}
	if e.TierBefore != Yellow || e.TierAfter != Green {
		t.Errorf("entry tiers %s -> %s", e.TierBefore, e.TierAfter)
	}
	// Green is the top.
	for range 3 {
		Apply(g, Session{Duration: time.Minute}, rules)
	}
	if g.Tier != Green {
		t.Errorf("tier %s after more clean runs", g.Tier)
	}
}

func TestUncleanRunResetsStreak(t *testing.T) {
	rules := Rules{DefaultTier: Yellow, AutoPromote: true, PromotionAfterRuns: 3}
	g := NewGame("g", rules, start)
	Apply(g, Session{}, rules)
	Apply(g, Session{}, rules)
	Apply(g, Session{Denials: 1}, rules)
	Apply(g, Session{}, rules)
	Apply(g, Session{}, rules)
	if g.Tier != Yellow || g.CleanStreak != 2 {
		t.Errorf("tier %s streak %d, want yellow 2", g.Tier, g.CleanStreak)
	}
}

func TestNoPromotionWithoutAutoPromote(t *testing.T) {
	rules := Rules{DefaultTier: Yellow, AutoPromote: false, PromotionAfterRuns: 1}
	g := NewGame("g", rules, start)
	Apply(g, Session{Duration: 20 * time.Hour}, rules)
	if g.Tier != Yellow || g.Score != 90 {
		t.Errorf("tier %s score %d, want yellow 90", g.Tier, g.Score)
	}
}

func TestScoreBandPromotes(t *testing.T) {
	rules := Rules{DefaultTier: Yellow, AutoPromote: true, PromotionAfterRuns: 100}
	g := NewGame("g", rules, start)
	Apply(g, Session{Duration: 13 * time.Hour}, rules)
	if g.Score != 76 || g.Tier != Green {
		t.Errorf("score %d tier %s, want 76 green", g.Score, g.Tier)
	}
}

func TestRedDefaultNeedsStreak(t *testing.T) {
	rules := Rules{DefaultTier: Red, AutoPromote: true, PromotionAfterRuns: 2}
	g := NewGame("g", rules, start)
	if g.Score != 25 || g.Tier != Red {
		t.Fatalf("new game under red default: %d %s", g.Score, g.Tier)
	}
	Apply(g, Session{}, rules)
	if g.Tier != Red {
		t.Fatalf("promoted after one run: %s", g.Tier)
	}
	Apply(g, Session{}, rules)
	if g.Tier != Yellow || g.Score != 26 {
		t.Errorf("after two clean runs: %s %d, want yellow 26", g.Tier, g.Score)
	}
}

func TestSensitiveAccessDropsToRed(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	g.Score, g.Tier = 95, Green
	Apply(g, Session{Sensitive: []string{"~/.ssh/id_rsa"}}, defaultRules)
	if g.Tier != Red || g.Score != 25 {
		t.Errorf("tier %s score %d, want red 25", g.Tier, g.Score)
	}
}

func TestScoreDropDemotes(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	g.Score, g.Tier = 78, Green
	e := Apply(g, Session{Anomalies: names(1, "x")}, defaultRules)
	if g.Tier != Yellow || g.Score != 73 || e.TierAfter != Yellow {
		t.Errorf("tier %s score %d, want yellow 73", g.Tier, g.Score)
	}
}

func TestOverrideSurvivesScoring(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	SetOverride(g, Green, start)
	Apply(g, Session{Anomalies: names(6, "x")}, defaultRules)
	if g.Effective() != Green || g.Score != 20 || g.Tier != Red {
		t.Errorf("effective %s score %d earned %s, want green 20 red", g.Effective(), g.Score, g.Tier)
	}
	SetOverride(g, Red, start)
	Apply(g, Session{Duration: 40 * time.Hour}, defaultRules)
	if g.Effective() != Red {
		t.Errorf("automatic promotion undid the manual red: %s", g.Effective())
	}
}

func TestSensitiveAccessClearsBetterOverride(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	SetOverride(g, Green, start)
	e := Apply(g, Session{Sensitive: []string{"~/.ssh/id_rsa"}}, defaultRules)
	if g.Override != nil || g.Effective() != Red {
		t.Fatalf("override %v effective %s", g.Override, g.Effective())
	}
	found := false
	for _, c := range e.Changes {
		found = found || strings.Contains(c.Reason, "manual tier green cleared")
	}
	if !found {
		t.Errorf("the entry does not say the override was cleared: %+v", e.Changes)
	}
}

func TestExeChangeDemotes(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	if _, changed := NoteExe(g, "/g/game.exe", "aaaa", defaultRules, start); changed {
		t.Fatal("first .exe counted as a change")
	}
	g.Score, g.Tier = 90, Green
	e, changed := NoteExe(g, "/g/game.exe", "bbbb", defaultRules, start)
	if !changed || g.Tier != Yellow || g.Score != 75 || e.Kind != EntryExeChanged {
		t.Errorf("changed %v tier %s score %d entry %+v", changed, g.Tier, g.Score, e)
	}
	if _, changed := NoteExe(g, "/g/game.exe", "bbbb", defaultRules, start); changed {
		t.Error("same .exe counted as a change")
	}
	keep := defaultRules
	keep.DemoteOnUpdate = false
	NoteExe(g, "/g/game.exe", "cccc", keep, start)
	if g.Tier != Yellow || g.CleanStreak != 0 {
		t.Errorf("without demote_on_update: tier %s", g.Tier)
	}
	g.Tier, g.Score = Red, 10
	NoteExe(g, "/g/game.exe", "dddd", defaultRules, start)
	if g.Tier != Red || g.Score != 10 {
		t.Errorf("red game after update: %s %d", g.Tier, g.Score)
	}
}

func TestResetKeepsHistory(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	Apply(g, Session{Sensitive: []string{"~/.ssh/id_rsa"}}, defaultRules)
	SetOverride(g, Green, start)
	Reset(g, defaultRules, start)
	if g.Score != 50 || g.Effective() != Yellow || len(g.History) != 3 {
		t.Errorf("after reset: score %d tier %s history %d", g.Score, g.Effective(), len(g.History))
	}
}

func TestHistoryIsBounded(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	for range maxHistory + 7 {
		Apply(g, Session{}, defaultRules)
	}
	if len(g.History) != maxHistory || g.HistoryDropped != 7 {
		t.Errorf("history %d dropped %d", len(g.History), g.HistoryDropped)
	}
}

func TestTrend(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	Apply(g, Session{Duration: time.Hour}, defaultRules)
	if g.Trend != "rising" {
		t.Errorf("trend %q after a clean hour", g.Trend)
	}
	Apply(g, Session{Spawns: names(3, "x")}, defaultRules)
	if g.Trend != "falling" {
		t.Errorf("trend %q after losing 6", g.Trend)
	}
	g2 := NewGame("g", defaultRules, start)
	Apply(g2, Session{}, defaultRules)
	if g2.Trend != "steady" {
		t.Errorf("trend %q", g2.Trend)
	}
	if !slices.Contains([]string{"rising", "falling", "steady"}, g.Trend) {
		t.Errorf("unknown trend %q", g.Trend)
	}
}

func TestCapTier(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	g.Score, g.Tier = 90, Green
	SetOverride(g, Green, start)
	e, changed := CapTier(g, Red, "the state was older than the last session", start)
	if !changed || g.Effective() != Red || g.Score != 25 || g.Override != nil || e.Kind != EntryCapped {
		t.Errorf("capped to red: changed %v tier %s score %d override %v", changed, g.Effective(), g.Score, g.Override)
	}
	if _, changed := CapTier(g, Yellow, "x", start); changed {
		t.Error("a cap above the tier changed the state")
	}
	SetOverride(g, Red, start)
	if _, changed := CapTier(g, Red, "x", start); changed {
		t.Error("a manual red capped at red changed the state")
	}
}

func TestReasonExamplesAreClipped(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	long := strings.Repeat("x", 5000)
	e := Apply(g, Session{Spawns: []string{long, long, long, long}}, defaultRules)
	if n := len(e.Changes[0].Reason); n > 4*maxExampleLen {
		t.Errorf("reason of %d bytes for four long names", n)
	}
}

func TestOverrideNoteInReasons(t *testing.T) {
	g := NewGame("g", defaultRules, start)
	SetOverride(g, Green, start)
	e := Apply(g, Session{Anomalies: names(6, "x")}, defaultRules)
	last := e.Changes[len(e.Changes)-1].Reason
	if !strings.Contains(last, "tier lowered to red") || !strings.Contains(last, "the tier you set, green, stays in force") {
		t.Errorf("demotion under a manual tier reads %q", last)
	}
}
