package wrapper

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentifyFromExe(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "My Game.EXE")
	os.WriteFile(exe, []byte("MZ fake"), 0o644)

	g, err := Identify([]string{"wine", "My Game.EXE", "-windowed"}, dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.SHA256) != 64 {
		t.Errorf("SHA256 %q", g.SHA256)
	}
	if !strings.HasPrefix(g.ID, "my_game-") || !strings.HasSuffix(g.ID, g.SHA256) {
		t.Errorf("id %q, want my_game-<sha256>", g.ID)
	}
	if g.InstallDir != dir {
		t.Errorf("install dir %q, want %q", g.InstallDir, dir)
	}
}

func TestIdentifyErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		argv   []string
		gameID string
		want   string
	}{
		{[]string{"wine", "missing.exe"}, "", "not found"},
		{[]string{"wine", `C:\Games\x.exe`}, "", "Windows paths"},
		{[]string{"/bin/true"}, "", "--game-id"},
		{[]string{"/bin/true"}, "../etc", "invalid --game-id"},
		{[]string{"/bin/true"}, ".hidden", "invalid --game-id"},
	}
	for _, c := range cases {
		_, err := Identify(c.argv, dir, c.gameID, "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Identify(%v, %q): %v, want an error containing %q", c.argv, c.gameID, err, c.want)
		}
	}
	if _, err := Identify([]string{"/bin/true"}, dir, "", ""); !errors.Is(err, ErrNoGame) {
		t.Errorf("no .exe and no --game-id: %v, want ErrNoGame", err)
	}
}

func TestIdentifyBareNameWithGameID(t *testing.T) {
	g, err := Identify([]string{"wine", "notepad.exe"}, t.TempDir(), "notepad", "")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != "notepad" || g.Exe != "" {
		t.Errorf("got %+v", g)
	}
}
