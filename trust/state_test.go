package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{7}, 32)

func sampleState() *State {
	g := NewGame("hello-1", defaultRules, start)
	Apply(g, Session{ID: "s1", Start: start, Duration: 2 * time.Hour, Spawns: []string{`C:\x<y>&.exe`}}, defaultRules)
	return &State{Games: map[string]*GameState{g.GameID: g}}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	data, err := Encode(sampleState(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"format": "winewarden-trust"`)) || !bytes.Contains(data, []byte(`"tier": "yellow"`)) {
		t.Errorf("state file is not readable JSON with tier names:\n%s", data)
	}
	s, err := Decode(data, testKey)
	if err != nil {
		t.Fatal(err)
	}
	g := s.Games["hello-1"]
	if g == nil || g.Score != 52 || g.Tier != Yellow || len(g.History) != 1 {
		t.Errorf("decoded %+v", g)
	}
}

func TestDecodeAcceptsReindentedFile(t *testing.T) {
	data, _ := Encode(sampleState(), testKey)
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(compact.Bytes(), testKey); err != nil {
		t.Errorf("whitespace change broke the check: %v", err)
	}
}

func TestDecodeRejectsTampering(t *testing.T) {
	data, _ := Encode(sampleState(), testKey)
	cases := map[string]struct {
		edit func(string) string
		want error
	}{
		"score raised":      {func(s string) string { return strings.Replace(s, `"score": 52`, `"score": 99`, 1) }, ErrForged},
		"tier raised":       {func(s string) string { return strings.Replace(s, `"tier": "yellow"`, `"tier": "green"`, 1) }, ErrForged},
		"hmac removed":      {func(s string) string { return strings.Replace(s, `"hmac_sha256"`, `"mac"`, 1) }, ErrInvalid},
		"hmac emptied":      {func(s string) string { return s[:strings.Index(s, `"hmac_sha256"`)] + `"hmac_sha256": ""}` }, ErrForged},
		"truncated":         {func(s string) string { return s[:len(s)/2] }, ErrInvalid},
		"empty":             {func(string) string { return "" }, ErrInvalid},
		"not json":          {func(string) string { return "\x00\xff garbage" }, ErrInvalid},
		"other format":      {func(s string) string { return strings.Replace(s, "winewarden-trust", "other", 1) }, ErrInvalid},
		"newer version":     {func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 2`, 1) }, ErrNewerVersion},
		"version zero":      {func(s string) string { return strings.Replace(s, `"version": 1`, `"version": 0`, 1) }, ErrInvalid},
		"trailing document": {func(s string) string { return s + `{}` }, ErrInvalid},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(c.edit(string(data))), testKey)
			if !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
	other := bytes.Repeat([]byte{8}, 32)
	if _, err := Decode(data, other); !errors.Is(err, ErrForged) {
		t.Errorf("another key: %v", err)
	}
}

func TestDecodeRejectsAuthenticOutOfRange(t *testing.T) {
	s := sampleState()
	s.Games["hello-1"].Score = 101
	data, _ := Encode(s, testKey)
	if _, err := Decode(data, testKey); !errors.Is(err, ErrInvalid) {
		t.Errorf("score 101: %v", err)
	}
	s = sampleState()
	s.Games["other"] = s.Games["hello-1"]
	data, _ = Encode(s, testKey)
	if _, err := Decode(data, testKey); !errors.Is(err, ErrInvalid) {
		t.Errorf("mismatched id: %v", err)
	}
}

func TestDir(t *testing.T) {
	cases := map[string]string{
		"/home/a/.local/share/winewarden/prefixes/g": "/home/a/.local/share/winewarden/prefixes/g/.winewarden",
		"/s/steamapps/compatdata/620/pfx":            "/s/steamapps/compatdata/620/.winewarden",
		"/s/other/620/pfx":                           "/s/other/620/pfx/.winewarden",
	}
	for prefix, want := range cases {
		if got := Dir(prefix); got != want {
			t.Errorf("Dir(%s) = %s, want %s", prefix, got, want)
		}
	}
}

func TestLoadKeyCreatesOnce(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(dir)
	if err != nil || !bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatalf("second load: %v, equal %v", err, bytes.Equal(k1, k2))
	}
	info, _ := os.Stat(filepath.Join(dir, KeyName))
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", info.Mode())
	}
}

func TestLoadKeyRejectsUnsafeKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyName)
	os.WriteFile(path, []byte(strings.Repeat("ab", 32)), 0o644)
	os.Chmod(path, 0o644)
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable key: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged key: %v", err)
	}
	os.Remove(path)
	os.Symlink("/etc/hostname", path)
	if _, err := LoadKey(dir); err == nil {
		t.Error("symlinked key accepted")
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), DirName), testKey, true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreUpdateAndLoad(t *testing.T) {
	s := newStore(t)
	if res := s.Load(); res.Status != StatusNew {
		t.Fatalf("empty store: %s %v", res.Status, res.Err)
	}
	err := s.Update(func(res LoadResult) error {
		res.State.Games["g"] = NewGame("g", defaultRules, start)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Load()
	if res.Status != StatusOK || res.State.Games["g"] == nil {
		t.Fatalf("after update: %s %v", res.Status, res.Err)
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	info, _ := os.Stat(s.Path())
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state mode %v", info.Mode())
	}
}

func TestStoreKeepsInvalidFileAside(t *testing.T) {
	s := newStore(t)
	os.WriteFile(s.Path(), []byte(`{"format":"winewarden-trust","version":1,"state":{"games":{}},"hmac_sha256":"00"}`), 0o600)
	res := s.Load()
	if res.Status != StatusInvalid || !errors.Is(res.Err, ErrForged) {
		t.Fatalf("forged file: %s %v", res.Status, res.Err)
	}
	if err := s.Update(func(LoadResult) error { return nil }); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(s.Path() + ".invalid-*")
	if len(matches) != 1 {
		t.Errorf("invalid file not kept aside: %v", matches)
	}
	if res := s.Load(); res.Status != StatusOK {
		t.Errorf("new file: %s %v", res.Status, res.Err)
	}
}

func TestStoreNeverOverwritesNewerVersion(t *testing.T) {
	s := newStore(t)
	newer := []byte(`{"format":"winewarden-trust","version":9,"state":{},"hmac_sha256":""}`)
	os.WriteFile(s.Path(), newer, 0o600)
	if err := s.Update(func(LoadResult) error { return nil }); err == nil {
		t.Fatal("update overwrote a newer file")
	}
	if data, _ := os.ReadFile(s.Path()); !bytes.Equal(data, newer) {
		t.Error("newer file changed")
	}
}

func TestStoreRejectsSymlinkedFileAndDir(t *testing.T) {
	s := newStore(t)
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	data, _ := Encode(sampleState(), testKey)
	os.WriteFile(target, data, 0o600)
	os.Symlink(target, s.Path())
	if res := s.Load(); res.Status != StatusInvalid {
		t.Errorf("symlinked state file: %s", res.Status)
	}
	dir := filepath.Join(t.TempDir(), DirName)
	os.Symlink(t.TempDir(), dir)
	if _, err := OpenStore(dir, testKey, true); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("symlinked dir: %v", err)
	}
}

func TestStoreConcurrentUpdates(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(func(res LoadResult) error {
				g := res.State.Games["g"]
				if g == nil {
					g = NewGame("g", defaultRules, start)
					res.State.Games["g"] = g
				}
				g.CleanStreak++
				return nil
			})
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if got := s.Load().State.Games["g"].CleanStreak; got != 8 {
		t.Errorf("streak %d after 8 locked increments", got)
	}
}

func TestIndexFind(t *testing.T) {
	dir := t.TempDir()
	err := UpdateIndex(dir, func(idx *Index) {
		for _, id := range []string{"hello-aaaa", "hello-abbb", "other"} {
			idx.Games[id] = IndexEntry{GameID: id}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := ReadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := idx.Find("hello-aa"); err != nil || e.GameID != "hello-aaaa" {
		t.Errorf("unique prefix: %v %v", e, err)
	}
	if _, err := idx.Find("hello-a"); err == nil || !strings.Contains(err.Error(), "matches 2 games") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := idx.Find("nope"); !errors.Is(err, ErrUnknownGame) {
		t.Errorf("unknown: %v", err)
	}
	os.WriteFile(filepath.Join(dir, IndexName), []byte("{broken"), 0o600)
	if _, err := ReadIndex(dir); !errors.Is(err, ErrIndexDamaged) {
		t.Errorf("damaged index: %v", err)
	}
	if err := UpdateIndex(dir, func(idx *Index) { idx.Games["x"] = IndexEntry{GameID: "x"} }); err != nil {
		t.Errorf("rewriting a damaged index: %v", err)
	}
}
