package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by WriteDefault when the file is already there and
// force is false.
var ErrExists = errors.New("config file already exists")

// WriteDefault writes DefaultFile to filePath with mode 0600, creating
// missing parent directories with mode 0700. It rejects an existing file,
// returning an error that wraps ErrExists, unless force is true.
//
// The file appears complete or not at all: the content goes to a temporary
// file in the same directory, is synced to disk and then moved into place.
func WriteDefault(filePath string, force bool) error {
	dir := filepath.Dir(filePath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating config directory: %w", err)
	}

	tmp, err := os.CreateTemp(dir, ".config-*.toml.tmp")
	if err != nil {
		return fmt.Errorf("creating temporary config file in %s: %w", dir, err)
	}
	tmpPath := tmp.Name()
	// Once the file is in place, removing tmpPath fails harmlessly or, after
	// a hard link, removes only the temporary name.
	defer os.Remove(tmpPath)

	if err := writeSynced(tmp, DefaultFile); err != nil {
		return fmt.Errorf("writing temporary config file %s: %w", tmpPath, err)
	}

	if err := publish(tmpPath, filePath, force); err != nil {
		return err
	}

	// Sync the directory too, so that the new name survives a crash.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// writeSynced writes data, fixes the mode and flushes it to disk before
// closing f.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		// CreateTemp already uses 0600; Chmod states it and ignores the umask.
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

// publish moves the finished temporary file to filePath. Without force it
// uses a hard link, which fails if filePath exists, so a file created by
// someone else in the meantime is never overwritten.
func publish(tmpPath, filePath string, force bool) error {
	if !force {
		err := os.Link(tmpPath, filePath)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, fs.ErrExist):
			return existsError(filePath)
		}

		// Some filesystems (FAT, some FUSE mounts) have no hard links. Fall
		// back to a check followed by a rename, which leaves a small race.
		if _, statErr := os.Lstat(filePath); statErr == nil {
			return existsError(filePath)
		} else if !errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("checking for an existing config file: %w", statErr)
		}
	}

	if err := os.Rename(tmpPath, filePath); err != nil {
		return fmt.Errorf("moving the new config file into place: %w", err)
	}
	return nil
}

func existsError(filePath string) error {
	return fmt.Errorf("%w: %s; pass --force to overwrite", ErrExists, filePath)
}
