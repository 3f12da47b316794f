package launcher

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeSteam builds a Steam tree in a temporary home: the installation
// with one Proton, a second library (with a space in its path) with
// another, and two compatibility tools, WineWarden's among them.
func fakeSteam(t *testing.T) (home, root, library string) {
	t.Helper()
	home = t.TempDir()
	root = filepath.Join(home, ".local/share/Steam")
	library = filepath.Join(home, "Games Drive/SteamLibrary")
	writeFile(t, filepath.Join(root, "steamapps/libraryfolders.vdf"), `"libraryfolders"
{
	"0"
	{
		"path"		"`+root+`"
		"label"		""
		"apps"
		{
			"228980"		"290065917"
		}
	}
	"1"
	{
		"path"		"`+library+`"
		"apps"
		{
			"1245620"		"60000000000"
		}
	}
}
`)
	writeFile(t, filepath.Join(root, "steamapps/common/Proton 9.0 (Beta)/proton"), "#!/usr/bin/env python3\n")
	writeFile(t, filepath.Join(root, "steamapps/common/Proton 9.0 (Beta)/toolmanifest.vdf"), `"manifest"
{
  "version" "2"
  "commandline" "/proton %verb%"
  "require_tool_appid" "1628350"
  "use_sessions" "1"
}
`)
	writeFile(t, filepath.Join(library, "steamapps/common/Proton 8.0/proton"), "#!/usr/bin/env python3\n")
	writeFile(t, filepath.Join(root, "compatibilitytools.d/GE-Proton9-20/proton"), "#!/usr/bin/env python3\n")
	writeFile(t, filepath.Join(root, "compatibilitytools.d/GE-Proton9-20/compatibilitytool.vdf"), `"compatibilitytools"
{
  "compat_tools"
  {
    "GE-Proton9-20"
    {
      "install_path" "."
      "display_name" "GE-Proton9-20"
      "from_oslist"  "windows"
      "to_oslist"    "linux"
    }
  }
}
`)
	writeFile(t, filepath.Join(root, "compatibilitytools.d", ToolName, "proton"), "#!/bin/sh\n")
	if err := os.MkdirAll(filepath.Join(home, ".steam"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(home, ".steam/root")); err != nil {
		t.Fatal(err)
	}
	return home, root, library
}

func TestSteamProtonsInEveryLibrary(t *testing.T) {
	home, root, library := fakeSteam(t)
	found, err := SteamRoot(home)
	if err != nil {
		t.Fatal(err)
	}
	if found != filepath.Join(home, ".steam/root") {
		t.Errorf("Steam root %q", found)
	}
	libs, err := Libraries(found)
	if err != nil {
		t.Fatal(err)
	}
	// The installation appears once, under the link it was found by.
	if len(libs) != 2 || realPath(libs[0]) != root || libs[1] != library {
		t.Errorf("libraries %q, want %s and %s", libs, root, library)
	}
	protons, err := Protons(found)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range protons {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"GE-Proton9-20", "Proton 8.0", "Proton 9.0 (Beta)"}) {
		t.Errorf("protons %q", names)
	}
	p, err := FindProton(found, "proton 9.0 (beta)")
	if err != nil {
		t.Fatal(err)
	}
	if p.RequiresRuntime != "1628350" {
		t.Errorf("Proton 9.0 requires runtime %q, want 1628350", p.RequiresRuntime)
	}
	if _, err := FindProton(found, "Proton 3.7"); err == nil || !strings.Contains(err.Error(), `"Proton 8.0"`) {
		t.Errorf("a missing Proton gave %v, want the list of installed ones", err)
	}
}

func TestSteamCorruptedLibraryFolders(t *testing.T) {
	home, root, _ := fakeSteam(t)
	path := filepath.Join(root, "steamapps/libraryfolders.vdf")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(data[:len(data)/2]))
	if libs, err := Libraries(filepath.Join(home, ".steam/root")); err == nil {
		t.Errorf("a truncated libraryfolders.vdf was read as %q", libs)
	}
}

func TestSteamRootMissing(t *testing.T) {
	if _, err := SteamRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no Steam installation") {
		t.Errorf("got %v", err)
	}
}
