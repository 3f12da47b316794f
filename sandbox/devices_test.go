package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// Capability bitmaps as sysfs prints them (64-bit words, most significant
// first).
const (
	gamepadKeys  = "7fdb000000000000 0 0 0 0" // BTN_SOUTH..BTN_THUMBR
	joystickKeys = "ffff00000000 0 0 0 0"     // BTN_TRIGGER range only
	keyboardKeys = "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe"
	mouseKeys    = "1f0000 0 0 0 0"
	// A keyboard with gamepad buttons (some macro pads) is still a keyboard.
	comboKeys = "7fdb000000000000 0 0 0 fffffffffffffffe"
)

func TestIsGameController(t *testing.T) {
	cases := []struct {
		name string
		keys string
		want bool
	}{
		{"gamepad", gamepadKeys, true},
		{"joystick", joystickKeys, true},
		{"keyboard", keyboardKeys, false},
		{"mouse", mouseKeys, false},
		{"keyboard with gamepad buttons", comboKeys, false},
		{"empty", "", false},
		{"garbage", "zz", false},
	}
	for _, c := range cases {
		if got := IsGameController(c.keys); got != c.want {
			t.Errorf("%s: IsGameController = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHostDevicesFromFakeSysfs(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "dev")
	sys := filepath.Join(root, "sys")
	mk := func(p, content string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	for _, d := range []string{"dri/card0", "snd/pcmC0D0p", "nvidia0", "input/event0", "input/event1", "input/js0", "hidraw0", "hidraw1"} {
		mk(filepath.Join(dev, d), "")
	}
	hidPad := filepath.Join(sys, "devices/hid-pad")
	hidKbd := filepath.Join(sys, "devices/hid-kbd")
	link := func(target, name string) {
		os.MkdirAll(filepath.Dir(name), 0o755)
		os.Symlink(target, name)
	}
	// event0: keyboard, event1 and js0: gamepad.
	for name, keys := range map[string]string{"event0": keyboardKeys, "event1": gamepadKeys, "js0": gamepadKeys} {
		parent := hidPad
		if name == "event0" {
			parent = hidKbd
		}
		inputDev := filepath.Join(sys, "devices", "input-"+name)
		mk(filepath.Join(inputDev, "capabilities/key"), keys)
		link(parent, filepath.Join(inputDev, "device"))
		link(inputDev, filepath.Join(sys, "class/input", name, "device"))
		os.MkdirAll(parent, 0o755)
	}
	link(hidPad, filepath.Join(sys, "class/hidraw/hidraw0/device"))
	link(hidKbd, filepath.Join(sys, "class/hidraw/hidraw1/device"))

	got := HostDevices(dev, sys)
	want := map[string]bool{
		filepath.Join(dev, "dri"): true, filepath.Join(dev, "snd"): true, filepath.Join(dev, "nvidia0"): true,
		filepath.Join(dev, "input/event1"): true, filepath.Join(dev, "input/js0"): true, filepath.Join(dev, "hidraw0"): true,
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("unexpected device %s (keyboards and their hidraw nodes must stay out)", p)
		}
		delete(want, p)
	}
	for p := range want {
		t.Errorf("missing device %s", p)
	}
}
