package policy

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrUnsafeSource is wrapped by the errors of CheckBindSource.
var ErrUnsafeSource = errors.New("unsafe bind source")

// Zone is a sacred zone with its path expanded: Path is absolute and clean.
// Pattern is true when the last element of Path contains "*" and is
// therefore a path.Match pattern.
type Zone struct {
	Label   string
	Path    string
	Action  string
	Pattern bool
}

// ExpandZones replaces a leading "~/" with home, cleans each path and marks
// pattern zones. home must be absolute, or the "~/" zones come out relative
// and CheckBindSource rejects them.
func ExpandZones(zones []SacredZone, home string) []Zone {
	expanded := make([]Zone, 0, len(zones))
	for _, z := range zones {
		p := z.Path
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			p = filepath.Join(home, rest)
		}
		p = filepath.Clean(p)
		expanded = append(expanded, Zone{
			Label:   z.Label,
			Path:    p,
			Action:  z.Action,
			Pattern: strings.Contains(filepath.Base(p), "*"),
		})
	}
	return expanded
}

// Within reports whether path is dir or lies below it, comparing the cleaned
// paths lexically: "/a/b/../c" is within "/a", and "/a/bc" is not within "/a/b".
func Within(path, dir string) bool {
	path = filepath.Clean(path)
	dir = filepath.Clean(dir)

	switch {
	case path == dir:
		return true
	case dir == "/":
		return strings.HasPrefix(path, "/")
	case dir == ".":
		return !filepath.IsAbs(path) && path != ".." && !strings.HasPrefix(path, "../")
	}
	return strings.HasPrefix(path, dir+"/")
}

// Matches reports whether path is the zone or lies inside it. For a pattern
// zone such as "/home/u/.steam/steam/ssfn*", path matches when it is, or lies
// inside, an entry of the zone's parent directory whose name matches the
// pattern.
func (z Zone) Matches(path string) bool {
	if !z.Pattern {
		return Within(path, z.Path)
	}

	parent, pattern := filepath.Split(z.Path)
	parent = filepath.Clean(parent)
	path = filepath.Clean(path)
	if path == parent || !Within(path, parent) {
		return false
	}

	rest := strings.TrimPrefix(path[len(parent):], "/")
	name, _, _ := strings.Cut(rest, "/")
	matched, err := filepath.Match(pattern, name)
	// Validate rejects malformed patterns. If one gets here anyway, treat
	// every entry of the parent as inside the zone, which fails closed.
	return matched || err != nil
}

// CheckBindSource decides whether the host directory src may be exposed to
// the sandbox (the game's install directory or its Wine prefix). src is
// rejected when it is "/", when it is home or an ancestor of home (the real
// home must stay invisible) or when it lies inside a sacred zone. Otherwise
// CheckBindSource returns the zones that lie inside src, which the caller
// must hide. For a pattern zone the caller hides each entry of the zone's
// parent that matches the pattern.
//
// src and home must be absolute, and symbolic links in them must already be
// resolved, because the comparison is lexical. Every error wraps
// ErrUnsafeSource.
func CheckBindSource(src, home string, zones []Zone) (masked []Zone, err error) {
	if !filepath.IsAbs(src) {
		return nil, fmt.Errorf("%w %q: the path is relative: pass an absolute path", ErrUnsafeSource, src)
	}
	if !filepath.IsAbs(home) {
		return nil, fmt.Errorf("%w %q: the home directory %q is not absolute: set HOME to an absolute path",
			ErrUnsafeSource, src, home)
	}
	src = filepath.Clean(src)

	if src == "/" {
		return nil, fmt.Errorf("%w %q: it is the filesystem root and would expose every host file",
			ErrUnsafeSource, src)
	}
	if Within(home, src) {
		return nil, fmt.Errorf("%w %q: it contains your home directory %s, which must stay invisible",
			ErrUnsafeSource, src, filepath.Clean(home))
	}

	for _, z := range zones {
		if !filepath.IsAbs(z.Path) {
			return nil, fmt.Errorf("%w %q: sacred zone %q has the relative path %q: expand it against an absolute home",
				ErrUnsafeSource, src, z.Label, z.Path)
		}
		if z.Matches(src) {
			return nil, fmt.Errorf("%w %q: it is inside the sacred zone %q (%s)",
				ErrUnsafeSource, src, z.Label, z.Path)
		}
		if zoneInside(z, src) {
			masked = append(masked, z)
		}
	}
	return masked, nil
}

// zoneInside reports whether z lies strictly inside dir, given that dir is
// not inside z. A pattern zone lies inside dir when its parent directory does,
// because every entry the pattern matches is then below dir.
func zoneInside(z Zone, dir string) bool {
	if z.Pattern {
		return Within(filepath.Dir(z.Path), dir)
	}
	return Within(z.Path, dir)
}
