package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitWritesConfigOnce(t *testing.T) {
	e := needSandbox(t)
	dir := filepath.Join(e.root, "initconfig")
	env := "XDG_CONFIG_HOME=" + dir
	path := filepath.Join(dir, "winewarden", "config.toml")

	r := e.run(t, []string{"init"}, env)
	if r.code != 0 {
		t.Fatalf("init: exit %d, stderr %q", r.code, r.stderr)
	}
	first := readFile(t, path)
	if !strings.Contains(first, "[sacred_zones]") && !strings.Contains(first, "sacred_zones") {
		t.Errorf("the written config does not document sacred zones")
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config mode: %v, %v; want 0600", info.Mode().Perm(), err)
	}

	os.WriteFile(path, []byte("# edited by the user\n"), 0o600)
	r = e.run(t, []string{"init"}, env)
	if r.code == 0 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second init: exit %d, stderr %q; want a refusal that mentions --force", r.code, r.stderr)
	}
	if got := readFile(t, path); got != "# edited by the user\n" {
		t.Errorf("second init overwrote the user's file")
	}
	if r := e.run(t, []string{"init", "--force"}, env); r.code != 0 || readFile(t, path) != first {
		t.Errorf("init --force: exit %d, file not restored", r.code)
	}
}

func TestDoctorReportsMachineAndConfig(t *testing.T) {
	e := needSandbox(t)
	r := e.run(t, []string{"doctor"})
	if r.code != 0 {
		t.Errorf("doctor: exit %d on a machine that runs the sandbox:\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"landlock", "sandbox probe", "libseccomp", "seccomp notify", "default tier yellow", "red tier: network offline"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}

	dir := filepath.Join(e.root, "doctorconfig")
	os.MkdirAll(filepath.Join(dir, "winewarden"), 0o700)
	os.WriteFile(filepath.Join(dir, "winewarden", "config.toml"), []byte("[trust]\ndefault_tier = \"purple\"\n"), 0o600)
	r = e.run(t, []string{"doctor"}, "XDG_CONFIG_HOME="+dir)
	if r.code == 0 || !strings.Contains(r.stdout, "default_tier") {
		t.Errorf("doctor with an invalid config: exit %d, output lacks the key:\n%s", r.code, r.stdout)
	}
}
