package trust

import (
	"fmt"
	"strings"
)

// Tier is a policy tier. The order matters: a higher tier has fewer limits.
type Tier int

// Tiers, from the most to the least restricted.
const (
	Red Tier = iota
	Yellow
	Green
)

// Score bounds and tier bands. A score in 0..25 is red, 26..75 yellow and
// 76..100 green.
const (
	MinScore     = 0
	MaxScore     = 100
	InitialScore = 50
	redMax       = 25
	yellowMax    = 75
)

var tierNames = [...]string{Red: "red", Yellow: "yellow", Green: "green"}

func (t Tier) String() string {
	if t < Red || t > Green {
		return fmt.Sprintf("tier(%d)", int(t))
	}
	return tierNames[t]
}

// MarshalText writes the tier's name, so JSON shows "red" and not 0.
func (t Tier) MarshalText() ([]byte, error) {
	if t < Red || t > Green {
		return nil, fmt.Errorf("invalid tier %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a tier name.
func (t *Tier) UnmarshalText(text []byte) error {
	parsed, err := ParseTier(string(text))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// ParseTier reads "red", "yellow" or "green", ignoring case.
func ParseTier(s string) (Tier, error) {
	for i, name := range tierNames {
		if strings.EqualFold(s, name) {
			return Tier(i), nil
		}
	}
	return Red, fmt.Errorf("invalid tier %q: use red, yellow or green", s)
}

// TierOf returns the tier whose band contains score.
func TierOf(score int) Tier {
	switch {
	case score <= redMax:
		return Red
	case score <= yellowMax:
		return Yellow
	}
	return Green
}

// floor is the lowest score of t's band, and ceiling the highest.
func floor(t Tier) int {
	switch t {
	case Red:
		return MinScore
	case Yellow:
		return redMax + 1
	}
	return yellowMax + 1
}

func ceiling(t Tier) int {
	switch t {
	case Red:
		return redMax
	case Yellow:
		return yellowMax
	}
	return MaxScore
}

// StartScore is the score of a game seen for the first time: 50, moved into
// the band of defaultTier when that tier is red or green, so that score and
// tier agree from the start.
func StartScore(defaultTier Tier) int {
	return min(max(InitialScore, floor(defaultTier)), ceiling(defaultTier))
}
