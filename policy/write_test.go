package policy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteDefaultCreatesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "winewarden")
	path := filepath.Join(dir, "config.toml")

	if err := WriteDefault(path, false); err != nil {
		t.Fatalf("WriteDefault: %v", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, DefaultFile) {
		t.Errorf("written file differs from DefaultFile")
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700|os.ModeDir)
	assertOnlyFile(t, dir, "config.toml")
}

func TestWriteDefaultRejectsExistingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	original := []byte("[network]\nmode = \"offline\"\n")
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}

	err := WriteDefault(path, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("WriteDefault over an existing file = %v, want ErrExists", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pass --force to overwrite") {
		t.Errorf("error %q does not name the path and --force", err)
	}

	data, _ := os.ReadFile(path)
	if !bytes.Equal(data, original) {
		t.Errorf("existing file changed to %q", data)
	}
	assertOnlyFile(t, dir, "config.toml")
}

func TestWriteDefaultRejectsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	path := filepath.Join(dir, "config.toml")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}

	if err := WriteDefault(path, false); !errors.Is(err, ErrExists) {
		t.Fatalf("WriteDefault over a dangling symlink = %v, want ErrExists", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteDefault created the symlink's target: %v", err)
	}
}

func TestWriteDefaultForceOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := WriteDefault(path, true); err != nil {
		t.Fatalf("WriteDefault with force: %v", err)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Equal(data, DefaultFile) {
		t.Errorf("file content after force = %q, want DefaultFile", data)
	}
	assertMode(t, path, 0o600)
	assertOnlyFile(t, dir, "config.toml")
}

func TestWriteDefaultThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := WriteDefault(path, false); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load of the written default: %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

// assertOnlyFile checks that no temporary file was left behind.
func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s contains %q, want only %q", dir, names, name)
	}
}
