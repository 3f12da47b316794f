package wrapper

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Game describes the program the wrapper launches.
type Game struct {
	// ID names the game's virtual home and default prefix.
	ID string
	// Exe is the absolute path of the main .exe, empty when CMD names none.
	Exe string
	// SHA256 is the hex digest of Exe's content.
	SHA256 string
	// InstallDir is exposed read-only: Exe's directory or --game-dir.
	InstallDir string
	// Tools are directories of the launcher's runtime, such as the Proton
	// build, shown read-only with their programs runnable.
	Tools []string
}

var validGameID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ErrNoGame reports a command line without a main .exe and without
// --game-id.
var ErrNoGame = errors.New("no game identity")

// Identify finds the main .exe (the first argument ending in .exe) and
// derives the game id from its content and base name, unless gameID is
// given. A .exe argument that names a file must exist: running a different
// program than the user asked for would be worse than stopping.
func Identify(argv []string, cwd, gameID, gameDir string) (Game, error) {
	var g Game
	if gameID != "" && !validGameID.MatchString(gameID) {
		return g, fmt.Errorf("invalid --game-id %q: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", gameID)
	}

	exeArg := ""
	for _, a := range argv {
		if strings.HasSuffix(strings.ToLower(a), ".exe") {
			exeArg = a
			break
		}
	}
	if exeArg != "" {
		exe, err := locateExe(exeArg, cwd)
		switch {
		case err == nil:
			g.Exe = exe
		case gameID != "" && !strings.Contains(exeArg, "/"):
			// With an explicit id, a bare name (notepad.exe) or a
			// Windows path (C:\Games\x.exe) may name a program inside
			// the prefix, which only Wine can resolve.
		default:
			return g, err
		}
	}

	if g.Exe != "" {
		sum, err := hashFile(g.Exe)
		if err != nil {
			return g, err
		}
		g.SHA256 = sum
		g.InstallDir = filepath.Dir(g.Exe)
	}
	if gameDir != "" {
		dir, err := filepath.Abs(gameDir)
		if err != nil {
			return g, err
		}
		g.InstallDir = dir
	}

	switch {
	case gameID != "":
		g.ID = gameID
	case g.Exe != "":
		g.ID = exeID(g.Exe, g.SHA256)
	default:
		return g, fmt.Errorf("%w: the command names no .exe file; pass --game-id NAME (and --game-dir DIR for its files)", ErrNoGame)
	}
	return g, nil
}

// exeID is the default game id: the .exe's base name and the SHA-256 of its
// content, so two games with the same file name never share a home.
func exeID(exe, sum string) string {
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(exe)), ".exe")
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, base)
	clean = strings.TrimLeft(clean, "._-")
	if clean == "" {
		clean = "game"
	}
	if len(clean) > 48 {
		clean = clean[:48]
	}
	return clean + "-" + sum
}

func locateExe(arg, cwd string) (string, error) {
	p := arg
	if strings.Contains(arg, `\`) && !strings.Contains(arg, "/") {
		return "", fmt.Errorf("%s: Windows paths cannot be checked before Wine starts; pass the Linux path of the game's .exe, or --game-id and --game-dir", arg)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(cwd, p)
	}
	info, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("game executable %s not found: check the path", p)
		}
		return "", fmt.Errorf("game executable %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("game executable %s is not a regular file", p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return real, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
