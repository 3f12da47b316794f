package audit

import (
	"path"
	"strings"
)

// wineServices are the Windows programs Wine starts on its own. The first
// eight show up in session logs of Wine 8.0 (Debian 12) running a game that
// starts none of them. Wine also starts conhost.exe for console programs
// and winedbg.exe when a program crashes.
var wineServices = map[string]bool{
	"wineboot.exe": true, "services.exe": true, "winedevice.exe": true, "plugplay.exe": true,
	"svchost.exe": true, "explorer.exe": true, "rpcss.exe": true, "winemenubuilder.exe": true,
	"conhost.exe": true, "winedbg.exe": true,
}

// wineBinaries are the base names of Wine's Linux programs: the loaders,
// with and without the preloader, and the wineserver. The sandbox runs
// programs only from read-only system trees, so a game cannot bring its own
// file of such a name.
var wineBinaries = map[string]bool{
	"wine": true, "wine64": true, "wine-preloader": true, "wine64-preloader": true,
	"wineserver": true, "wineserver64": true,
}

// WineProgram reports whether a program start is Wine's own. Wine's own
// programs are its Linux programs, its services in the prefix's system
// directories, anything below such a service, and the helpers that Wine's
// launcher script runs before the first Windows program (Debian's
// /usr/bin/wine runs dpkg and grep). image is the Windows image ("" for a
// Linux program), linuxPath the file that runs, and chain the ancestors'
// images, oldest first.
//
// NOTE: Wine starts wineboot.exe and its services from inside the game's
// own process, so a game that starts one of those programs itself, such as
// explorer.exe, cannot be distinguished and counts as Wine's.
func WineProgram(image, linuxPath string, chain []string) bool {
	if image == "" && wineBinaries[path.Base(linuxPath)] {
		return true
	}
	if image != "" && isWineService(image) {
		return true
	}
	if ancestor := nearestWindowsImage(chain); ancestor != "" {
		return isWineService(ancestor)
	}
	for _, c := range chain {
		if wineBinaries[path.Base(c)] {
			return true
		}
	}
	return false
}

// GameStart reports whether e starts a program of the game's Windows tree
// beyond Wine's own: a process event below a Windows program, which is
// neither Wine's (WineProgram) nor the game's main .exe (a Linux path)
// started again. Denied starts count too, because they were attempts.
func GameStart(e Event, mainExe string) bool {
	if e.Kind != KindProcess {
		return false
	}
	chain := fieldStrings(e.Fields, "chain")
	if nearestWindowsImage(chain) == "" {
		return false
	}
	image := fieldString(e.Fields, "windows_image")
	linuxPath := fieldString(e.Fields, "path")
	if linuxPath == "" {
		linuxPath = e.Path
	}
	if WineProgram(image, linuxPath, chain) {
		return false
	}
	name := image
	if name == "" {
		name = linuxPath
	}
	if name == "" {
		name = e.Image
	}
	return !isMainExe(name, mainExe)
}

// nearestWindowsImage returns the last Windows program in chain, or "".
func nearestWindowsImage(chain []string) string {
	for i := len(chain) - 1; i >= 0; i-- {
		if isWindowsImage(chain[i]) {
			return chain[i]
		}
	}
	return ""
}

// isWindowsImage reports whether an image name from a process chain is a
// Windows program rather than a Linux path.
func isWindowsImage(name string) bool {
	if strings.Contains(name, `\`) {
		return true
	}
	lower := strings.ToLower(name)
	for _, ext := range []string{".exe", ".com", ".scr", ".bat", ".cmd", ".msi"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// isWineService reports whether a Windows image is one of wineServices in
// C:\windows, system32 or syswow64.
func isWineService(image string) bool {
	lower := strings.ToLower(strings.ReplaceAll(image, "/", `\`))
	dir, base := "", lower
	if i := strings.LastIndexByte(lower, '\\'); i >= 0 {
		dir, base = lower[:i], lower[i+1:]
	}
	if !wineServices[base] {
		return false
	}
	return dir == `c:\windows\system32` || dir == `c:\windows\syswow64` || dir == `c:\windows`
}

// isMainExe reports whether a program name is the main .exe, given as its
// Linux path: the same path, its Z: drive form, or its bare file name.
func isMainExe(name, mainExe string) bool {
	if mainExe == "" || name == "" {
		return false
	}
	if name == mainExe {
		return true
	}
	if len(name) > 2 && (name[0] == 'Z' || name[0] == 'z') && name[1] == ':' {
		return strings.ReplaceAll(name[2:], `\`, "/") == mainExe
	}
	if !strings.ContainsAny(name, `/\`) {
		return strings.EqualFold(name, path.Base(mainExe))
	}
	return false
}
