package sandbox

import "fmt"

type landlockModeKind int

const (
	landlockOff landlockModeKind = iota
	landlockBestEffort
	landlockExact
)

// scopingABI is the first Landlock ABI with signal and abstract-socket
// scoping, the newest feature the sandbox's ruleset uses.
const scopingABI = 6

// landlockMode decides how Landlock is applied for a kernel offering abi
// when the sandbox needs minABI: exactly, in best-effort mode (degraded
// runs on older kernels), off (degraded runs without Landlock), or not at
// all, which stops the launch.
func landlockMode(abi, minABI int, degraded bool) (landlockModeKind, error) {
	switch {
	case abi >= minABI && abi >= scopingABI:
		return landlockExact, nil
	case !degraded:
		return landlockOff, fmt.Errorf("landlock: kernel ABI %d, the sandbox needs %d (filesystem rules, signal and abstract-socket scoping): "+
			"boot Linux 6.12 or newer with landlock in the lsm= kernel parameter, or run with --allow-degraded", abi, minABI)
	case abi == 0:
		return landlockOff, nil
	default:
		return landlockBestEffort, nil
	}
}
