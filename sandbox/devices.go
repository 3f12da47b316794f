package sandbox

import (
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Input event codes from linux/input-event-codes.h.
const (
	keyA          = 30    // KEY_A
	keyZ          = 44    // KEY_Z
	keySpace      = 57    // KEY_SPACE
	btnJoystick   = 0x120 // BTN_JOYSTICK (BTN_TRIGGER), first joystick button
	btnGamepadEnd = 0x13e // BTN_THUMBR, last gamepad button
)

// IsGameController reports whether an input device is a joystick or gamepad
// that is not also a keyboard. keyBits is the device's KEY capability
// bitmap as sysfs prints it (capabilities/key: hex words, most significant
// first, separated by spaces). Keyboard event nodes must stay out of the
// sandbox, because any reader of them receives every keystroke on the machine.
func IsGameController(keyBits string) bool {
	bits := parseCapabilityBitmap(keyBits)
	controller := false
	for code := btnJoystick; code <= btnGamepadEnd; code++ {
		if bits.Bit(code) == 1 {
			controller = true
			break
		}
	}
	if !controller {
		return false
	}
	letters := 0
	for code := keyA; code <= keyZ; code++ {
		letters += int(bits.Bit(code))
	}
	return letters == 0 && bits.Bit(keySpace) == 0
}

func parseCapabilityBitmap(s string) *big.Int {
	words := strings.Fields(s)
	n := new(big.Int)
	for _, w := range words {
		v, ok := new(big.Int).SetString(w, 16)
		if !ok {
			return new(big.Int)
		}
		n.Lsh(n, 64)
		n.Or(n, v)
	}
	return n
}

// HostDevices lists the device nodes and directories a game needs below
// devRoot (normally /dev), classified through sysRoot (normally /sys). They
// are GPU nodes (/dev/dri, /dev/nvidia*), sound (/dev/snd), and game
// controllers: js* and gamepad event nodes plus the hidraw nodes of the same
// physical devices. Keyboard and mouse event nodes are left out.
func HostDevices(devRoot, sysRoot string) []string {
	var out []string
	add := func(p string) {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	add(filepath.Join(devRoot, "dri"))
	add(filepath.Join(devRoot, "snd"))
	nvidia, _ := filepath.Glob(filepath.Join(devRoot, "nvidia*"))
	for _, p := range nvidia {
		add(p)
	}

	controllerParents := map[string]bool{}
	inputs, _ := filepath.Glob(filepath.Join(sysRoot, "class/input/*"))
	for _, class := range inputs {
		name := filepath.Base(class)
		isJS := strings.HasPrefix(name, "js")
		isEvent := strings.HasPrefix(name, "event")
		if !isJS && !isEvent {
			continue
		}
		keys, err := os.ReadFile(filepath.Join(class, "device/capabilities/key"))
		if err != nil || !IsGameController(string(keys)) {
			continue
		}
		add(filepath.Join(devRoot, "input", name))
		if parent, err := filepath.EvalSymlinks(filepath.Join(class, "device/device")); err == nil {
			controllerParents[parent] = true
		}
	}

	hidraws, _ := filepath.Glob(filepath.Join(sysRoot, "class/hidraw/*"))
	for _, class := range hidraws {
		parent, err := filepath.EvalSymlinks(filepath.Join(class, "device"))
		if err == nil && controllerParents[parent] {
			add(filepath.Join(devRoot, filepath.Base(class)))
		}
	}
	sort.Strings(out)
	return out
}
