package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSessionFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSessionLogPathFound(t *testing.T) {
	dir := t.TempDir()
	writeSessionFiles(t, dir, "20261204T201500Z-1a2b3c4d.jsonl")
	got, err := SessionLogPath(dir, "20261204T201500Z-1a2b3c4d")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "20261204T201500Z-1a2b3c4d.jsonl"); got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}

func TestSessionLogPathMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := SessionLogPath(dir, "20261204T201500Z-1a2b3c4d")
	if !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("error %v, want ErrSessionNotFound", err)
	}
	for _, want := range []string{`"20261204T201500Z-1a2b3c4d"`, "ls " + dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSessionLogPathRejectsBadID(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"", "../escape", ".hidden", "a/b", "a b"} {
		if _, err := SessionLogPath(dir, id); !errors.Is(err, ErrInvalidSession) {
			t.Errorf("SessionLogPath(%q) error %v, want ErrInvalidSession", id, err)
		}
	}
}

func TestSessionLogPathRejectsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "odd.jsonl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := SessionLogPath(dir, "odd"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error %v, want one about a file that is not regular", err)
	}
}

func TestLastSessionNewest(t *testing.T) {
	dir := t.TempDir()
	writeSessionFiles(t, dir,
		"20261204T201500Z-1a2b3c4d.jsonl",
		"20261205T090000Z-00000000.jsonl",
		"20261204T235959Z-ffffffff.jsonl",
		"20991231T000000Z-notes.txt", // not a log
		".20991231T000000Z-hidden.jsonl",
	)
	if err := os.Mkdir(filepath.Join(dir, "20991231T000000Z-dir.jsonl"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := LastSession(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != "20261205T090000Z-00000000" {
		t.Errorf("newest session %q, want 20261205T090000Z-00000000", got)
	}
}

func TestLastSessionNone(t *testing.T) {
	empty := t.TempDir()
	writeSessionFiles(t, empty, "readme.txt")
	missing := filepath.Join(t.TempDir(), "absent")
	for _, dir := range []string{empty, missing} {
		_, err := LastSession(dir)
		if !errors.Is(err, ErrSessionNotFound) {
			t.Errorf("LastSession(%s) error %v, want ErrSessionNotFound", dir, err)
			continue
		}
		if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "winewarden run") {
			t.Errorf("error %q names neither the directory nor how sessions are recorded", err)
		}
	}
}

func TestLastSessionSameSecond(t *testing.T) {
	dir := t.TempDir()
	write := func(id, time string) {
		line := `{"time":"` + time + `","session":"` + id + `","kind":"session_start"}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, id+".jsonl"), []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The later start has the smaller random suffix.
	write("20261205T101010Z-ffffffff", "2026-12-05T10:10:10.100Z")
	write("20261205T101010Z-00000000", "2026-12-05T10:10:10.900Z")
	write("20261205T101009Z-99999999", "2026-12-05T10:10:09.999Z")
	got, err := LastSession(dir)
	if err != nil || got != "20261205T101010Z-00000000" {
		t.Errorf("LastSession = %q, %v; want the session that started last within the second", got, err)
	}
}
