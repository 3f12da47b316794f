//go:build linux

package wrapper

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/winewarden/winewarden/audit"
	"github.com/winewarden/winewarden/policy"
	"github.com/winewarden/winewarden/sandbox"
)

// ConfigPath returns the config file path of the current user.
func ConfigPath() (string, error) {
	dirs, err := currentDirs()
	if err != nil {
		return "", err
	}
	return dirs.ConfigFile, nil
}

// Doctor prints what this machine can enforce and returns a non-zero
// status when the default launch profile cannot run.
func Doctor(out io.Writer) int {
	failed := false
	check := func(ok bool, name, detail, hint string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed = true
		}
		fmt.Fprintf(out, "[%s] %-18s %s\n", mark, name, detail)
		if !ok && hint != "" {
			fmt.Fprintf(out, "       %s\n", hint)
		}
	}
	info := func(name, detail string) { fmt.Fprintf(out, "[info] %-18s %s\n", name, detail) }

	var uts unix.Utsname
	unix.Uname(&uts)
	info("kernel", unix.ByteSliceToString(uts.Release[:]))

	flatpak := inFlatpak()
	maxNS := strings.TrimSpace(readSmall("/proc/sys/user/max_user_namespaces"))
	if flatpak {
		info("flatpak", "inside a Flatpak sandbox, which allows no new namespaces: games run in the "+flatpakNote)
	} else {
		check(maxNS != "" && maxNS != "0", "user namespaces", "max_user_namespaces="+maxNS,
			"enable them: sysctl -w user.max_user_namespaces=15000")
	}
	if v := strings.TrimSpace(readSmall("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")); v == "1" {
		info("apparmor", "restricts unprivileged user namespaces; the probe below shows whether winewarden may create them")
	}

	abi := sandbox.LandlockABI()
	check(abi >= 6, "landlock", fmt.Sprintf("ABI %d (the default profile needs 6: filesystem rules plus signal and abstract-socket scoping)", abi),
		"boot Linux 6.12 or newer with lsm=landlock in the kernel command line, or run with --allow-degraded")

	actions := readSmall("/proc/sys/kernel/seccomp/actions_avail")
	check(strings.Contains(actions, "user_notif"), "seccomp notify", "available (the supervisor receives program starts, new processes and network destinations)",
		"boot Linux 5.5 or newer with seccomp user notification, or run with --allow-degraded")
	info("libseccomp", sandbox.LibseccompVersion())

	wine := "not found (install wine64 or wine)"
	if path, err := exec.LookPath("wine"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := exec.CommandContext(ctx, path, "--version").Output()
		cancel()
		wine = path
		if err == nil {
			wine += " " + strings.TrimSpace(string(v))
		}
	}
	info("wine", wine)

	probeErr := probeSandbox(flatpak)
	detail := "started /bin/true in the default profile's namespaces with Landlock, seccomp and the supervisor"
	if flatpak {
		detail = "started /bin/true in the degraded Flatpak profile, with Landlock, seccomp and the supervisor"
	}
	if probeErr != nil {
		detail = probeErr.Error()
	}
	check(probeErr == nil, "sandbox probe", detail, "")

	fmt.Fprintln(out, "\nLaunch profile \"default\" enforces:")
	for _, line := range []string{
		"user, mount, pid, ipc and uts namespaces (net too with --network offline)",
		"a tmpfs root: read-only system dirs, private /tmp and /dev/shm, a per-game virtual home, the prefix, the install dir read-only",
		"sacred zones hidden, decoys watched, planted symlinks moved aside",
		"Landlock: execute only from read-only locations; signal and abstract-socket scoping",
		"seccomp (x86_64 and i386, x32 refused): terminal injection, kernel and mount APIs, io_uring, keyrings, clock and module calls denied; clone3 returns ENOSYS",
		"a new session without a controlling terminal, no_new_privs, no capabilities",
		"supervisor: [process] rules for every program start, the process limit, and connection attempts logged and rate-limited",
		"network: observe (default), offline or restrict; DNS queries of the game go through WineWarden's forwarder",
	} {
		fmt.Fprintln(out, "  - "+line)
	}
	fmt.Fprintln(out, "\nLaunch profile \"steam\" (Steam games, while steam.show_client = true) differs:")
	fmt.Fprintln(out, "  - "+steamProfileNote)
	fmt.Fprintln(out, "\nLaunch profile \"flatpak\" (inside a launcher's Flatpak build) differs:")
	fmt.Fprintln(out, "  - "+flatpakNote)
	fmt.Fprintln(out)

	path, _ := ConfigPath()
	cfg, err := policy.Load(path)
	configBroken := err != nil
	if configBroken {
		fmt.Fprintf(out, "[FAIL] %-18s %s\n       fix the file or move it away to use the defaults\n", "config", err)
	} else {
		if _, statErr := os.Stat(path); statErr != nil {
			path += " (not found: using the built-in defaults)"
		}
		info("config", path)
		for _, line := range describeNetwork(cfg.Network) {
			info("network", line)
		}
		for _, line := range describeTrust(cfg) {
			info("trust", line)
		}
		info("notifications", describeNotifications(cfg))
		for _, line := range describeLaunchers(cfg) {
			info("launchers", line)
		}
		if keys := policy.NotEnforced(cfg); len(keys) > 0 {
			fmt.Fprintln(out, "\nParsed but not yet enforced by this version:")
			for _, k := range keys {
				fmt.Fprintln(out, "  - "+k)
			}
		}
	}
	if failed {
		fmt.Fprintln(out, "\nThe default profile cannot run on this machine.")
		return 1
	}
	if configBroken {
		fmt.Fprintln(out, "\nThe machine can run the sandbox, but every launch stops until the config file is fixed.")
		return 1
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "available"
	}
	return "missing"
}

func readSmall(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

// probeSandbox starts /bin/true in a sandbox with every layer the default
// profile uses and no degraded mode, or inside a Flatpak sandbox, with the
// layers of the Flatpak profile.
func probeSandbox(flatpak bool) error {
	tmp, err := os.MkdirTemp("", "winewarden-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	view := View{Roots: hostRoots(), Home: "/home/winewarden-probe", VirtualHome: tmp}
	spec := &sandbox.Spec{
		Argv: []string{"true"}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/",
		UID: os.Getuid(), GID: os.Getgid(), Mounts: view.Mounts(), Landlock: view.Rules(), MinLandlockABI: 6,
	}
	if flatpak {
		spec.Mounts, spec.Landlock = nil, view.HostRules(nil)
		spec.NoNamespaces, spec.SharedPID, spec.SharedIPC = true, true, true
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	discard := slog.New(slog.DiscardHandler)
	proc, sup, err := startSupervised(spec, sandbox.Stdio{Stdin: devnull, Stdout: devnull, Stderr: devnull},
		policy.Default(), nil, "doctor", func(audit.Event) {}, discard, nil)
	if err != nil {
		return err
	}
	code, err := waitSupervised(proc, sup, discard)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("/bin/true exited with status %d in the sandbox", code)
	}
	return nil
}
