package audit

import (
	"path"
	"reflect"
	"strings"
)

// Redactor removes the user's home directory and user name from report
// strings, so that a report can be shared. The zero value changes nothing.
//
// Home is replaced with "~" where it is a whole path prefix: /home/alice and
// /home/alice/..., but not /home/alicex or /mnt/home/alice. Wine's forms of
// it are replaced as well, with the drive letter and the path in any case:
// Z:\home\alice, \\?\Z:\home\alice, \\?\unix\home\alice and \??\unix\home\alice.
//
// User is replaced with "<user>" where it is the path element below a
// "users" or "home" element, as in C:\users\alice, drive_c/users/alice and
// /home/alice on a machine whose home is elsewhere. A bare occurrence stays,
// so the user "wine" does not change /usr/bin/wine.
type Redactor struct {
	Home string
	User string
}

// homeMarker and userMarker replace the home directory and the user name.
const (
	homeMarker = "~"
	userMarker = "<user>"
)

// Wine's prefixes before a Unix path in Windows form, in lower case.
var winePathPrefixes = []string{`\\?\unix`, `\??\unix`, `\\?\z:`, `\??\z:`, `z:`}

// Report returns a copy of rep with every string redacted, including the
// strings in lists, pointers and map keys. rep itself is not changed. A
// Redactor that replaces nothing returns rep as it is.
func (r Redactor) Report(rep Report) Report {
	if r.home() == "" && r.User == "" {
		return rep
	}
	return r.copyValue(reflect.ValueOf(rep)).Interface().(Report)
}

// Redact returns s with the home directory and user name replaced.
func (r Redactor) Redact(s string) string {
	if home := r.home(); home != "" {
		s = redactHome(s, home)
	}
	if r.User != "" {
		s = redactUser(s, r.User)
	}
	return s
}

// home returns the cleaned home directory, or "" when Home is empty, "/"
// or relative: replacing those would garble every path.
func (r Redactor) home() string {
	if r.Home == "" || !strings.HasPrefix(r.Home, "/") {
		return ""
	}
	home := path.Clean(r.Home)
	if home == "/" {
		return ""
	}
	return home
}

func redactHome(s, home string) string {
	lower := asciiLower(s)
	// Every form of the home ends in its last element.
	if !strings.Contains(lower, asciiLower(path.Base(home))) {
		return s
	}
	homeLower := asciiLower(home)
	homeBackslash := strings.ReplaceAll(homeLower, "/", `\`)

	var out strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if !startBoundary(s, i) {
			continue
		}
		n := matchHome(s, lower, i, home, homeLower, homeBackslash)
		if n == 0 || !endBoundary(s, i+n) {
			continue
		}
		out.WriteString(s[last:i])
		out.WriteString(homeMarker)
		last = i + n
		i = last - 1
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// matchHome returns the length of the home directory in one of its forms
// at s[i:], or 0. The Linux form is compared exactly, because Linux paths
// are case-sensitive. Wine's forms are compared without regard to ASCII
// case, because Wine resolves Windows paths that way.
func matchHome(s, lower string, i int, home, homeLower, homeBackslash string) int {
	if strings.HasPrefix(s[i:], home) {
		return len(home)
	}
	if strings.HasPrefix(lower[i:], homeBackslash) {
		return len(homeBackslash)
	}
	for _, p := range winePathPrefixes {
		if !strings.HasPrefix(lower[i:], p) {
			continue
		}
		rest := lower[i+len(p):]
		if strings.HasPrefix(rest, homeBackslash) || strings.HasPrefix(rest, homeLower) {
			return len(p) + len(homeLower)
		}
	}
	return 0
}

// redactUser replaces user where it follows a "users" or "home" path
// element.
func redactUser(s, user string) string {
	lower := asciiLower(s)
	userLower := asciiLower(user)
	if !strings.Contains(lower, userLower) {
		return s
	}

	var out strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i-1] != '/' && s[i-1] != '\\' {
			continue
		}
		var parent string
		switch {
		case strings.HasPrefix(lower[i:], "users"):
			parent = "users"
		case strings.HasPrefix(lower[i:], "home"):
			parent = "home"
		default:
			continue
		}
		start := i + len(parent) + 1 // past the separator
		if start > len(s) || (s[start-1] != '/' && s[start-1] != '\\') {
			continue
		}
		end := start + len(userLower)
		if !strings.HasPrefix(lower[start:], userLower) || !endBoundary(s, end) {
			continue
		}
		out.WriteString(s[last:start])
		out.WriteString(userMarker)
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// startBoundary reports whether a path may start at s[i]: at the start of
// s, or after a byte that is neither part of a file name nor a separator.
func startBoundary(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	return !isNameByte(c) && c != '/' && c != '\\'
}

// endBoundary reports whether a path element ends before s[j]: at the end
// of s, at a separator, or at a byte that cannot continue a file name. A
// dot ends it only when no name byte follows, as at the end of a sentence.
func endBoundary(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	switch {
	case c == '/' || c == '\\':
		return true
	case c == '.':
		return j+1 == len(s) || (!isNameByte(s[j+1]) && s[j+1] != '/' && s[j+1] != '\\')
	}
	return !isNameByte(c)
}

// isNameByte reports whether c can continue a file name as people write
// them: ASCII letters and digits, '.', '_', '-', and every byte of a
// multi-byte UTF-8 character.
func isNameByte(c byte) bool {
	return c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// asciiLower lowers ASCII letters only, so byte offsets stay the same as in
// the input.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// copyValue returns a deep copy of v with every string redacted. Struct
// fields that are not exported, such as those inside time.Time, are copied
// unchanged. When two map keys redact to the same string, one entry wins.
func (r Redactor) copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(v.Type()).Elem()
		out.SetString(r.Redact(v.String()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(r.copyValue(v.Elem()))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(r.copyValue(v.Elem()))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(r.copyValue(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(r.copyValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(r.copyValue(iter.Key()), r.copyValue(iter.Value()))
		}
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(r.copyValue(v.Field(i)))
			}
		}
		return out
	}
	return v
}
