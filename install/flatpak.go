package install

import (
	"fmt"
	"os"
	"path/filepath"
)

// flatpakBinary prepares a static copy of winewarden at exe for a
// launcher's Flatpak build, which can read its own data directory but not
// the home's other folders or the host's libraries. It returns the step that
// installs the copy in a session.
func flatpakBinary(o Options, exe, launcherName string) (func(*session) error, error) {
	if err := checkStatic(o.Binary, launcherName+"'s Flatpak runs it inside the Flatpak sandbox"); err != nil {
		return nil, err
	}
	binary, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("reading the winewarden binary: %w", err)
	}
	return func(s *session) error { return s.put(exe, binary, 0o755) }, nil
}

// flatpakDataBinary returns the path of the winewarden copy that a
// launcher's Flatpak build, whose files are in appDir (~/.var/app/<id>),
// runs.
func flatpakDataBinary(appDir string) string {
	return filepath.Join(appDir, "data", "winewarden", "winewarden")
}
