package supervisor

import (
	"bytes"
	"path"
	"strings"
)

// wineLoaders are the basenames of Wine's loader binaries: Debian's
// /usr/lib/wine/wine64, upstream's bin/wine and bin/wine64, and Proton's
// files/bin/wine* alike, with and without the preloader.
var wineLoaders = map[string]bool{
	"wine": true, "wine64": true, "wine-preloader": true, "wine64-preloader": true,
}

// isWineLoader reports whether a Linux path names a Wine loader binary.
func isWineLoader(linuxPath string) bool {
	return wineLoaders[path.Base(linuxPath)]
}

// windowsImage returns the Windows program that a Wine loader is asked to
// run: the first argument after the loader, skipping the loader itself
// when the preloader passes it on (wine64-preloader wine64 game.exe). It
// returns "" for other programs and for loader options such as --version.
// A script named like a loader (Debian's /usr/bin/wine) is not a loader:
// the binary it starts is.
func windowsImage(linuxPath string, args []string, script bool) string {
	if script || !isWineLoader(linuxPath) {
		return ""
	}
	for _, arg := range args[min(1, len(args)):] {
		if isWineLoader(arg) && strings.Contains(arg, "/") {
			continue
		}
		if strings.HasPrefix(arg, "-") {
			return ""
		}
		return arg
	}
	return ""
}

// maxShebang is the kernel's BINPRM_BUF_SIZE: it reads no more of a "#!"
// line than this.
const maxShebang = 256

// maxInterpreterDepth is the kernel's limit on nested interpreters
// (a script whose interpreter is a script, and so on).
const maxInterpreterDepth = 4

// shebang is the interpreter line of a script.
type shebang struct {
	Interpreter string
	Arg         string // optional single argument; empty if none
}

// parseShebang reads the "#!" line from the first bytes of a file as
// fs/binfmt_script.c does: the interpreter runs to the first blank, and the
// rest of the line, trimmed, is one optional argument. ok is false for a
// file that is not a script.
func parseShebang(head []byte) (shebang, bool) {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return shebang{}, false
	}
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.Trim(line, " \t")
	if len(line) == 0 {
		return shebang{}, false
	}
	interp, arg, _ := bytes.Cut(line, []byte{' '})
	if i := bytes.IndexByte(interp, '\t'); i >= 0 {
		interp, arg = interp[:i], line[i+1:]
	}
	return shebang{Interpreter: string(interp), Arg: string(bytes.Trim(arg, " \t"))}, true
}

// scriptArgv returns the argument vector the kernel builds when it starts
// a script's interpreter: the interpreter, its optional argument, the
// script's file name, then the script's arguments after argv[0].
func scriptArgv(sb shebang, filename string, args []string) []string {
	out := []string{sb.Interpreter}
	if sb.Arg != "" {
		out = append(out, sb.Arg)
	}
	out = append(out, filename)
	if len(args) > 1 {
		out = append(out, args[1:]...)
	}
	return out
}
