package trust

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Format and Version identify the state file. A file with a newer version
// is left alone, because rewriting it would lose what a newer WineWarden
// stored there.
const (
	Format  = "winewarden-trust"
	Version = 1
)

// macContext is mixed into every HMAC, so a MAC made for another purpose
// with the same key never verifies a state file.
const macContext = "winewarden trust state v1\n"

// Errors of Decode. Callers treat every one of them as "use the default
// tier", and tell the user which one it was.
var (
	// ErrInvalid: the file is not a trust state, or it is damaged.
	ErrInvalid = errors.New("trust state is corrupted")
	// ErrForged: the file parses but its HMAC does not match, so it was
	// changed outside WineWarden or written with another key.
	ErrForged = errors.New("trust state failed its authenticity check")
	// ErrNewerVersion: the file was written by a newer WineWarden.
	ErrNewerVersion = errors.New("trust state has a newer format version")
)

// State is the authenticated content of one state file: the trust state of
// every game that has run in the prefix, by game id.
type State struct {
	Games map[string]*GameState `json:"games"`
}

// GameState is one game's score, tier and history.
type GameState struct {
	GameID string `json:"game_id"`
	// Exe and ExeSHA256 identify the main .exe of the last run.
	Exe       string `json:"exe,omitempty"`
	ExeSHA256 string `json:"exe_sha256,omitempty"`
	Score     int    `json:"score"`
	// Tier is the tier that scoring earned. Override, when set, is the
	// user's manual tier and wins over it (see Effective).
	Tier     Tier  `json:"tier"`
	Override *Tier `json:"override,omitempty"`
	// CleanStreak counts clean sessions in a row since the last promotion.
	CleanStreak int `json:"clean_streak"`
	// CleanCarrySeconds is clean runtime not yet worth a whole hour.
	CleanCarrySeconds int64     `json:"clean_carry_seconds"`
	Trend             string    `json:"trend"`
	Created           time.Time `json:"created"`
	Updated           time.Time `json:"updated"`
	History           []Entry   `json:"history"`
	HistoryDropped    int       `json:"history_dropped,omitempty"`
}

// Effective returns the tier the next run gets.
func (g *GameState) Effective() Tier {
	if g.Override != nil {
		return *g.Override
	}
	return g.Tier
}

// NewGame returns the state of a game seen for the first time.
func NewGame(id string, rules Rules, now time.Time) *GameState {
	return &GameState{
		GameID:  id,
		Score:   StartScore(rules.DefaultTier),
		Tier:    rules.DefaultTier,
		Trend:   "steady",
		Created: now.UTC(),
		Updated: now.UTC(),
		History: []Entry{},
	}
}

// file is the JSON document on disk. State is kept as raw bytes, because
// the HMAC covers exactly those bytes (compacted, so that reindenting the
// file by hand does not break it).
type file struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	State   json.RawMessage `json:"state"`
	HMAC    string          `json:"hmac_sha256"`
}

// Encode returns the state file for s, authenticated with key.
func Encode(s *State, key []byte) ([]byte, error) {
	if s.Games == nil {
		s.Games = map[string]*GameState{}
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding the trust state: %w", err)
	}
	out, err := json.MarshalIndent(file{Format: Format, Version: Version, State: payload, HMAC: mac(key, payload)}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the trust state: %w", err)
	}
	return append(out, '\n'), nil
}

// Decode checks and parses a state file. Every failure wraps ErrInvalid,
// ErrForged or ErrNewerVersion.
func Decode(data []byte, key []byte) (*State, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrInvalid)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("%w: format is %q, not %q", ErrInvalid, f.Format, Format)
	}
	if f.Version > Version {
		return nil, fmt.Errorf("%w: version %d, this WineWarden reads up to %d", ErrNewerVersion, f.Version, Version)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrInvalid, f.Version)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.State); err != nil || compact.Len() == 0 {
		return nil, fmt.Errorf("%w: missing or malformed state", ErrInvalid)
	}
	want, err := hex.DecodeString(f.HMAC)
	if err != nil || !hmac.Equal(want, macBytes(key, compact.Bytes())) {
		return nil, ErrForged
	}

	var s State
	dec = json.NewDecoder(bytes.NewReader(compact.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return &s, nil
}

// validate rejects values that authentic files never contain, so a bug or
// an old key cannot smuggle in a score outside 0..100.
func (s *State) validate() error {
	if s.Games == nil {
		s.Games = map[string]*GameState{}
	}
	for id, g := range s.Games {
		switch {
		case g == nil:
			return fmt.Errorf("game %q has no state", id)
		case g.GameID != id:
			return fmt.Errorf("game %q is stored under the id %q", g.GameID, id)
		case g.Score < MinScore || g.Score > MaxScore:
			return fmt.Errorf("game %q has score %d outside %d..%d", id, g.Score, MinScore, MaxScore)
		case g.CleanStreak < 0 || g.CleanCarrySeconds < 0:
			return fmt.Errorf("game %q has a negative counter", id)
		}
	}
	return nil
}

func mac(key, payload []byte) string {
	return hex.EncodeToString(macBytes(key, payload))
}

func macBytes(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macContext))
	h.Write(payload)
	return h.Sum(nil)
}
