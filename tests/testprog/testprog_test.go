package testprog

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wineTimeout covers the first Wine run, which creates the prefix and takes several seconds.
const wineTimeout = 5 * time.Minute

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(Dir())
	os.Exit(code)
}

// skipOrFail skips the test, or fails it when WINEWARDEN_TEST_STRICT=1 requires every tool.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("WINEWARDEN_TEST_STRICT") == "1" {
		t.Fatalf(format+" (WINEWARDEN_TEST_STRICT=1 turns this skip into a failure)", args...)
	}
	t.Skipf(format, args...)
}

// requireTool returns the path of a program, or skips the test if it is not installed.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		skipOrFail(t, "%s not found in PATH; install the Debian package %s", name, debianPackage)
	}
	return path
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("run failed before an exit status: %v", err)
	}
	return exitErr.ExitCode()
}

func TestBuildELFHelperExitCode(t *testing.T) {
	requireTool(t, "gcc", "gcc")
	helper, err := BuildELF("helper")
	if err != nil {
		t.Fatal(err)
	}

	output, err := exec.Command(helper, "exit", "7").CombinedOutput()
	if code := exitCode(t, err); code != 7 {
		t.Errorf("helper exit 7: exit code %d, want 7; output:\n%s", code, output)
	}
}

func TestBuildELFTrue(t *testing.T) {
	requireTool(t, "gcc", "gcc")
	program, err := BuildELF("true")
	if err != nil {
		t.Fatal(err)
	}

	if err := exec.Command(program).Run(); err != nil {
		t.Errorf("true: %v", err)
	}
}

func TestBuildCachesBinary(t *testing.T) {
	requireTool(t, "gcc", "gcc")
	first, err := BuildELF("helper")
	if err != nil {
		t.Fatal(err)
	}
	second, err := BuildELF("helper")
	if err != nil {
		t.Fatal(err)
	}

	if first != second {
		t.Errorf("second build returned %s, want the cached %s", second, first)
	}
	if filepath.Dir(first) != Dir() {
		t.Errorf("binary %s is not in the cache directory %s", first, Dir())
	}
	for _, path := range []string{Dir(), first} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o755 {
			t.Errorf("%s has mode %o, want 755 so other users can run it", path, mode)
		}
	}
}

func TestBuildRejectsPathInName(t *testing.T) {
	_, err := BuildELF("../elf/helper")
	if err == nil {
		t.Fatal("BuildELF accepted a name with a path")
	}
	if !strings.Contains(err.Error(), "invalid test program name") {
		t.Errorf("error %q does not name the invalid name", err)
	}
}

func TestBuildMissingSource(t *testing.T) {
	requireTool(t, "gcc", "gcc")
	_, err := BuildELF("no-such-program")
	if err == nil {
		t.Fatal("BuildELF succeeded without a source file")
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q is not os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), filepath.Join("testdata", "elf", "no-such-program.c")) {
		t.Errorf("error %q does not name the missing source", err)
	}
}

// TestBuildPERunsUnderWine runs the probe under plain Wine, without the sandbox, in a new prefix.
func TestBuildPERunsUnderWine(t *testing.T) {
	requireTool(t, "x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64")
	probe, err := BuildPE("probe")
	if err != nil {
		t.Fatal(err)
	}
	hello, err := BuildPE("hello")
	if err != nil {
		t.Fatal(err)
	}
	wine := requireTool(t, "wine", "wine")

	// Wine 8.0 links the new prefix's Documents and Desktop folders to $HOME, so a private HOME
	// keeps the user's home untouched. Disabling mscoree and mshtml stops wineboot from offering
	// Mono and Gecko. Disabling winemenubuilder stops the "winemenubuilder -a -r" entry that
	// wine.inf adds to RunServices from writing file associations into the home.
	env := append(os.Environ(),
		"WINEPREFIX="+t.TempDir(),
		"HOME="+t.TempDir(),
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d",
	)
	t.Cleanup(func() {
		// Stops the prefix's wineserver before the temporary directories are removed.
		kill := exec.Command("wineserver", "-k")
		kill.Env = env
		kill.Run()
	})
	ctx, cancel := context.WithTimeout(context.Background(), wineTimeout)
	defer cancel()

	run := exec.CommandContext(ctx, wine, probe, "exit", "42")
	run.Env = env
	output, err := run.CombinedOutput()
	if code := exitCode(t, err); code != 42 {
		t.Fatalf("wine probe.exe exit 42: exit code %d, want 42; output:\n%s", code, output)
	}

	run = exec.CommandContext(ctx, wine, hello)
	run.Env = env
	stdout, err := run.Output()
	if err != nil {
		t.Fatalf("wine hello.exe: %v", err)
	}
	if !strings.Contains(string(stdout), "hello from Windows") {
		t.Errorf("wine hello.exe printed %q, want \"hello from Windows\"", stdout)
	}
}
