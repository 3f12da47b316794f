//go:build linux

package wrapper

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrPrefixBusy reports a prefix that another WineWarden session uses.
var ErrPrefixBusy = errors.New("Wine prefix in use")

// lockPrefix takes an exclusive lock for prefix, held until the returned
// file is closed (or the wrapper dies). Each sandbox starts its own
// wineserver, and two wineservers writing one prefix's registry lose each
// other's changes, so a second session on the same prefix must wait. The
// lock file lives outside every sandbox, so a game cannot remove it.
func lockPrefix(dataHome, prefix string) (*os.File, error) {
	dir := filepath.Join(dataHome, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the lock directory: %w", err)
	}
	sum := sha256.Sum256([]byte(prefix))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the prefix lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another WineWarden session runs a game in %s; wait until it ends (two wineservers on one prefix lose registry changes)", ErrPrefixBusy, prefix)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	f.Truncate(0)
	f.WriteString(prefix + "\n")
	return f, nil
}
