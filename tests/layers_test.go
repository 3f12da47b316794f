package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winewarden/winewarden/sandbox"
)

// runSpec starts a sandbox from a hand-made Spec (the test binary serves as
// the init stage) and returns the target's output and exit status.
func runSpec(t *testing.T, spec *sandbox.Spec) (string, int) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	proc, err := sandbox.Start(spec, sandbox.Stdio{Stdin: devnull, Stdout: out, Stderr: out}, nil)
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	code, err := proc.Wait()
	if err != nil {
		t.Fatalf("waiting for the sandbox: %v", err)
	}
	data, _ := os.ReadFile(out.Name())
	return string(data), code
}

// TestLandlockAloneBlocksWritableExec checks Landlock's execute rule by
// itself. The writable directory here is mounted without noexec, so only
// Landlock can stop a program written into it.
func TestLandlockAloneBlocksWritableExec(t *testing.T) {
	e := needSandbox(t)
	writable := filepath.Join(t.TempDir(), "writable")
	if err := os.MkdirAll(writable, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(writable), 0o755)
	dropped := filepath.Join(writable, "dropped")
	if err := copyFile(e.helper, dropped); err != nil {
		t.Fatal(err)
	}

	base := func(argv ...string) *sandbox.Spec {
		return &sandbox.Spec{
			Argv: argv, Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/", UID: os.Getuid(), GID: os.Getgid(),
			Mounts: []sandbox.Mount{
				{Kind: sandbox.MountBind, Source: "/usr", Target: "/usr", ReadOnly: true},
				{Kind: sandbox.MountSymlink, Source: "usr/bin", Target: "/bin"},
				{Kind: sandbox.MountSymlink, Source: "usr/lib", Target: "/lib"},
				{Kind: sandbox.MountSymlink, Source: "usr/lib64", Target: "/lib64"},
				{Kind: sandbox.MountProc, Target: "/proc"},
				{Kind: sandbox.MountTmpfs, Target: "/tmp", Mode: 0o1777},
				{Kind: sandbox.MountBind, Source: writable, Target: writable},
			},
			Landlock: []sandbox.AccessRule{
				{Path: "/", Access: sandbox.AccessList},
				{Path: "/usr", Access: sandbox.AccessExec},
				{Path: "/proc", Access: sandbox.AccessWrite},
				{Path: "/tmp", Access: sandbox.AccessWrite},
				{Path: writable, Access: sandbox.AccessWrite},
			},
			MinLandlockABI: 6,
		}
	}

	// The shell runs from /usr and then tries the dropped program.
	out, code := runSpec(t, base("/bin/sh", "-c", dropped+" exit 0; echo status=$?"))
	if !strings.Contains(out, "Permission denied") || !strings.Contains(out, "status=126") {
		t.Errorf("running a program from a writable, exec-mounted directory: exit %d, output:\n%s", code, out)
	}
	// Control: with the same writable mount and Landlock granting
	// execute there, the program runs, so the denial above is Landlock's.
	spec := base(dropped, "exit", "7")
	spec.Landlock[len(spec.Landlock)-1].Access = sandbox.AccessExec
	if out, code := runSpec(t, spec); code != 7 {
		t.Errorf("control run from a read-only directory with execute: exit %d, output:\n%s", code, out)
	}
}
