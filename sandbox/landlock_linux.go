//go:build linux

package sandbox

import (
	"fmt"
	"os"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Access sets per class. MakeChar and MakeBlock are never granted: device
// nodes come only from the mount view. ResolveUnix (ABI 9) is left unhandled
// because the mount view already decides which sockets exist inside.
const (
	fsRead  = ll.AccessFSReadFile | ll.AccessFSReadDir
	fsExec  = fsRead | ll.AccessFSExecute
	fsWrite = fsRead | ll.AccessFSWriteFile | ll.AccessFSRemoveDir | ll.AccessFSRemoveFile |
		ll.AccessFSMakeDir | ll.AccessFSMakeReg | ll.AccessFSMakeSock | ll.AccessFSMakeFifo |
		ll.AccessFSMakeSym | ll.AccessFSRefer | ll.AccessFSTruncate
	fsDevice = fsWrite | ll.AccessFSIoctlDev

	// fsFileRights are the rights that apply to a regular file or a
	// device node; a rule on a file may only carry these.
	fsFileRights = ll.AccessFSExecute | ll.AccessFSWriteFile | ll.AccessFSReadFile |
		ll.AccessFSTruncate | ll.AccessFSIoctlDev

	fsHandled = fsDevice | ll.AccessFSExecute | ll.AccessFSMakeChar | ll.AccessFSMakeBlock
)

func accessSet(a Access) landlock.AccessFSSet {
	switch a {
	case AccessList:
		return ll.AccessFSReadDir
	case AccessExec:
		return fsExec
	case AccessWrite:
		return fsWrite
	case AccessDevice:
		return fsDevice
	default:
		return fsRead
	}
}

// LandlockABI returns the Landlock ABI version the kernel offers, 0 when
// Landlock is missing or disabled.
func LandlockABI() int {
	v, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// applyLandlock restricts every thread of the calling process to the rules.
// With minABI above what the kernel offers it fails, unless degraded is set,
// in which case it applies what the kernel supports and records that in the Layer.
func applyLandlock(rules []AccessRule, minABI int, degraded bool) (Layer, error) {
	abi := LandlockABI()
	layer := Layer{Name: "landlock"}
	mode, err := landlockMode(abi, minABI, degraded)
	if err != nil {
		return layer, err
	}
	if mode == landlockOff {
		layer.Detail = "not available: the kernel has no Landlock (running degraded)"
		return layer, nil
	}

	cfg := landlock.Config{
		HandledAccessFS: fsHandled,
		Scoped:          ll.ScopeAbstractUnixSocket | ll.ScopeSignal,
	}
	// Exact: the kernel enforces everything asked or the call fails.
	// Best effort drops what an older kernel does not know.
	if mode == landlockBestEffort {
		cfg = cfg.BestEffort()
	}

	var llRules []landlock.Rule
	for _, r := range rules {
		info, err := os.Stat(r.Path)
		if err != nil {
			if r.Optional && os.IsNotExist(err) {
				continue
			}
			return layer, fmt.Errorf("landlock rule for %s: %w", r.Path, err)
		}
		access := accessSet(r.Access)
		if !info.IsDir() {
			access &= fsFileRights
		}
		llRules = append(llRules, landlock.PathAccess(access, r.Path))
	}
	if err := cfg.Restrict(llRules...); err != nil {
		return layer, fmt.Errorf("landlock: %w", err)
	}
	layer.InForce = true
	layer.Detail = fmt.Sprintf("ABI %d", abi)
	if mode == landlockBestEffort {
		layer.Detail += ": filesystem rules only, no signal or abstract-socket scoping"
	}
	return layer, nil
}
