package policy

import "fmt"

// Filesystem profiles a tier can ask for.
const (
	// FilesystemStandard is the normal view of the sandbox.
	FilesystemStandard = "standard"
	// FilesystemStrict also makes the prefix's C:\windows and the Startup
	// folders read-only, so a game cannot plant DLLs or services in the
	// Windows directory or add programs that Wine starts with the prefix.
	FilesystemStrict = "strict"
)

var filesystems = []string{FilesystemStandard, FilesystemStrict}

// Tiers is the [tiers] table: the policy profile of each trust tier.
type Tiers struct {
	Red    TierProfile `toml:"red"`
	Yellow TierProfile `toml:"yellow"`
	Green  TierProfile `toml:"green"`
}

// TierProfile changes the base configuration for the games in one tier. A
// key left out (nil) keeps the base value. No key reaches the sacred zones,
// the decoys or the kernel layers, so no tier can relax them.
type TierProfile struct {
	NetworkMode         *string   `toml:"network_mode"`
	AllowShellExecution *bool     `toml:"allow_shell_execution"`
	AllowedPatterns     *[]string `toml:"allowed_patterns"`
	MaxChildProcesses   *int      `toml:"max_child_processes"`
	Filesystem          *string   `toml:"filesystem"`
}

func ptr[T any](v T) *T { return &v }

// clone returns a copy of p that shares no pointer with it.
func (p TierProfile) clone() TierProfile {
	return TierProfile{
		NetworkMode:         clonePtr(p.NetworkMode),
		AllowShellExecution: clonePtr(p.AllowShellExecution),
		AllowedPatterns:     clonePtr(p.AllowedPatterns),
		MaxChildProcesses:   clonePtr(p.MaxChildProcesses),
		Filesystem:          clonePtr(p.Filesystem),
	}
}

func clonePtr[T any](v *T) *T {
	if v == nil {
		return nil
	}
	return ptr(*v)
}

// defaultTiers: red is offline, starts no shells (not even those that
// allowed_patterns lets through), gets the strict filesystem and fewer
// processes. Yellow is the base configuration. Green may start shells and
// more processes.
func defaultTiers() Tiers {
	return Tiers{
		Red: TierProfile{
			NetworkMode:         ptr("offline"),
			AllowShellExecution: ptr(false),
			AllowedPatterns:     ptr([]string{}),
			MaxChildProcesses:   ptr(30),
			Filesystem:          ptr(FilesystemStrict),
		},
		Green: TierProfile{
			AllowShellExecution: ptr(true),
			MaxChildProcesses:   ptr(200),
		},
	}
}

// Profile is the policy a run gets from its tier, as the session log
// records it.
type Profile struct {
	Tier                string `json:"tier"`
	NetworkMode         string `json:"network_mode"`
	AllowShellExecution bool   `json:"allow_shell_execution"`
	MaxChildProcesses   int    `json:"max_child_processes"`
	Filesystem          string `json:"filesystem"`
}

// Resolve applies the profile of tier ("red", "yellow" or "green") to c and
// returns the configuration for the run. An unknown tier gets red's
// profile, because a tier name that cannot be read must never grant more.
func Resolve(c Config, tier string) (Config, Profile) {
	var p TierProfile
	switch tier {
	case "green":
		p = c.Tiers.Green
	case "yellow":
		p = c.Tiers.Yellow
	default:
		tier = "red"
		p = c.Tiers.Red
	}
	out := c
	filesystem := FilesystemStandard
	if p.NetworkMode != nil {
		out.Network.Mode = *p.NetworkMode
	}
	if p.AllowShellExecution != nil {
		out.Process.AllowShellExecution = *p.AllowShellExecution
	}
	if p.AllowedPatterns != nil {
		out.Process.AllowedPatterns = append([]string{}, *p.AllowedPatterns...)
	}
	if p.MaxChildProcesses != nil {
		out.Process.MaxChildProcesses = *p.MaxChildProcesses
	}
	if p.Filesystem != nil {
		filesystem = *p.Filesystem
	}
	return out, Profile{
		Tier:                tier,
		NetworkMode:         out.Network.Mode,
		AllowShellExecution: out.Process.AllowShellExecution,
		MaxChildProcesses:   out.Process.MaxChildProcesses,
		Filesystem:          filesystem,
	}
}

func (t Tiers) problems() []error {
	var errs []error
	for _, tier := range []struct {
		name string
		p    TierProfile
	}{{"red", t.Red}, {"yellow", t.Yellow}, {"green", t.Green}} {
		key := "tiers." + tier.name + "."
		if tier.p.NetworkMode != nil {
			if err := checkOneOf(key+"network_mode", *tier.p.NetworkMode, networkModes); err != nil {
				errs = append(errs, err)
			}
		}
		if tier.p.Filesystem != nil {
			if err := checkOneOf(key+"filesystem", *tier.p.Filesystem, filesystems); err != nil {
				errs = append(errs, err)
			}
		}
		if tier.p.MaxChildProcesses != nil {
			if n := *tier.p.MaxChildProcesses; n < minChildProcesses || n > maxChildProcesses {
				errs = append(errs, fmt.Errorf("%smax_child_processes = %d is out of range: use a value from %d to %d",
					key, n, minChildProcesses, maxChildProcesses))
			}
		}
		if tier.p.AllowedPatterns != nil {
			for i, pattern := range *tier.p.AllowedPatterns {
				if err := checkPattern(fmt.Sprintf("%sallowed_patterns[%d]", key, i), pattern); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}
