package policy

import (
	_ "embed"
	"slices"
)

// Config is the content of config.toml. The toml tags are the key names in
// the file.
type Config struct {
	WineWarden  General      `toml:"winewarden"`
	Trust       Trust        `toml:"trust"`
	Process     Process      `toml:"process"`
	Network     Network      `toml:"network"`
	Tiers       Tiers        `toml:"tiers"`
	Steam       Steam        `toml:"steam"`
	SacredZones []SacredZone `toml:"sacred_zones"`
}

// Steam is the [steam] table: how WineWarden's Steam compatibility tool
// runs a game.
type Steam struct {
	// Proton is the name of the Proton build that runs the game, as Steam
	// lists it ("Proton 9.0", "GE-Proton9-20"). A game's own policy file
	// can name another.
	Proton string `toml:"proton"`
	// ShowClient runs Steam games with the Steam client in view: the
	// sandbox keeps the host's pid and IPC namespaces and its /dev/shm,
	// which the Steam API needs to find and talk to the client.
	ShowClient bool `toml:"show_client"`
}

// General is the [winewarden] table.
type General struct {
	Enabled                 bool `toml:"enabled"`
	NoPromptsDuringGameplay bool `toml:"no_prompts_during_gameplay"`
	// EmergencyOnly limits desktop notifications to emergencies (a
	// sensitive-access attempt or a blocked escape). When false, a session
	// that had anything blocked also ends with a summary notification.
	EmergencyOnly bool `toml:"emergency_only"`
	// Notifications enables desktop notifications at all.
	Notifications bool `toml:"notifications"`
}

// Trust is the [trust] table: the tier a new game starts in and how it earns
// a better one.
type Trust struct {
	DefaultTier        string `toml:"default_tier"`
	AutoPromote        bool   `toml:"auto_promote"`
	PromotionAfterRuns int    `toml:"promotion_after_runs"`
	// DemoteOnUpdate lowers a game one tier when its main .exe changes.
	DemoteOnUpdate bool `toml:"demote_on_update"`
}

// Process is the [process] table: which programs a game may start.
type Process struct {
	AllowedPatterns     []string `toml:"allowed_patterns"`
	BlockedPatterns     []string `toml:"blocked_patterns"`
	MaxChildProcesses   int      `toml:"max_child_processes"`
	AllowShellExecution bool     `toml:"allow_shell_execution"`
}

// Network is the [network] table. The allowlist keys (AllowedDomains,
// AllowedCIDRs and AllowedPorts) apply only in restrict mode, and
// CompileNetworkRules turns them into NetworkRules.
type Network struct {
	Mode                  string `toml:"mode"`
	DNSAwareness          bool   `toml:"dns_awareness"`
	DestinationMonitoring bool   `toml:"destination_monitoring"`
	// ConnectionRateLimit is the number of connection attempts per second
	// one process may make before further attempts are refused.
	ConnectionRateLimit int `toml:"connection_rate_limit"`
	// AllowedDomains are host names such as "example.com", or "*.example.com"
	// for every name below example.com.
	AllowedDomains []string `toml:"allowed_domains"`
	// AllowedCIDRs are address prefixes such as "192.0.2.0/24", or single
	// addresses, that the game may reach without a DNS answer.
	AllowedCIDRs []string `toml:"allowed_cidrs"`
	// AllowedPorts are the destination ports allowed. Empty allows every port.
	AllowedPorts []int `toml:"allowed_ports"`
	// DNSServers are the resolvers that the DNS forwarder queries, as "IP" or
	// "IP:port" (ParseDNSServers). Empty means the nameserver lines of
	// /etc/resolv.conf, which the caller reads.
	DNSServers []string `toml:"dns_servers"`
	// MaxUniqueDestinations is the number of different destinations one
	// session may contact before the next one counts as a network anomaly.
	MaxUniqueDestinations int `toml:"max_unique_destinations"`
}

// SacredZone is one [[sacred_zones]] entry: a host path the game must never
// reach. Path is absolute or starts with "~/" (the user's home). Only its
// final element may contain "*", which makes that element a path.Match
// pattern (for example "~/.steam/steam/ssfn*").
type SacredZone struct {
	Label  string `toml:"label"`
	Path   string `toml:"path"`
	Action string `toml:"action"`
}

// Values allowed for trust.default_tier, network.mode and sacred_zones.action,
// in the order error messages list them.
var (
	tiers        = []string{"red", "yellow", "green"}
	networkModes = []string{"observe", "offline", "restrict"}
	zoneActions  = []string{"deny", "redirect", "read-only"}
)

// DefaultFile is the commented config.toml that WriteDefault installs. Parsing
// it yields exactly Default().
//
//go:embed default.toml
var DefaultFile []byte

// Default returns the built-in configuration. Each call returns a fresh copy,
// so callers may modify the result.
func Default() Config {
	return Config{
		WineWarden: General{
			Enabled:                 true,
			NoPromptsDuringGameplay: true,
			EmergencyOnly:           true,
			Notifications:           true,
		},
		Trust: Trust{
			DefaultTier:        "yellow",
			AutoPromote:        true,
			PromotionAfterRuns: 5,
			DemoteOnUpdate:     true,
		},
		Process: Process{
			AllowedPatterns:     []string{},
			BlockedPatterns:     []string{},
			MaxChildProcesses:   50,
			AllowShellExecution: false,
		},
		Network: Network{
			Mode:                  "observe",
			DNSAwareness:          true,
			DestinationMonitoring: true,
			ConnectionRateLimit:   1000,
			AllowedDomains:        []string{},
			AllowedCIDRs:          []string{},
			AllowedPorts:          []int{},
			DNSServers:            []string{},
			MaxUniqueDestinations: 100,
		},
		Tiers:       defaultTiers(),
		Steam:       Steam{ShowClient: true},
		SacredZones: slices.Clone(defaultZones),
	}
}

// defaultZones lists the built-in sacred zones. Steam files appear under both
// ~/.steam/steam and ~/.local/share/Steam because either may be the real
// directory and the other a symlink, and the path checks are lexical.
var defaultZones = []SacredZone{
	{Label: "SSH keys", Path: "~/.ssh", Action: "deny"},
	{Label: "GnuPG keys", Path: "~/.gnupg", Action: "deny"},
	{Label: "Firefox profiles", Path: "~/.mozilla", Action: "deny"},
	{Label: "Google Chrome profile", Path: "~/.config/google-chrome", Action: "deny"},
	{Label: "Chromium profile", Path: "~/.config/chromium", Action: "deny"},
	{Label: "Brave profile", Path: "~/.config/BraveSoftware", Action: "deny"},
	{Label: "Discord session", Path: "~/.config/discord", Action: "deny"},
	{Label: "Telegram session", Path: "~/.local/share/TelegramDesktop", Action: "deny"},
	{Label: "pass password store", Path: "~/.password-store", Action: "deny"},
	{Label: "desktop keyrings", Path: "~/.local/share/keyrings", Action: "deny"},
	{Label: "Electrum wallet", Path: "~/.electrum", Action: "deny"},
	{Label: "Bitcoin wallet", Path: "~/.bitcoin", Action: "deny"},
	{Label: "Ethereum wallet", Path: "~/.ethereum", Action: "deny"},
	{Label: "Exodus wallet", Path: "~/.config/Exodus", Action: "deny"},
	{Label: "Steam login", Path: "~/.steam/steam/config/loginusers.vdf", Action: "deny"},
	{Label: "Steam login", Path: "~/.steam/steam/config/config.vdf", Action: "deny"},
	{Label: "Steam login", Path: "~/.steam/steam/ssfn*", Action: "deny"},
	{Label: "Steam login", Path: "~/.local/share/Steam/config/loginusers.vdf", Action: "deny"},
	{Label: "Steam login", Path: "~/.local/share/Steam/config/config.vdf", Action: "deny"},
	{Label: "Steam login", Path: "~/.local/share/Steam/ssfn*", Action: "deny"},
	{Label: "shell startup", Path: "~/.bashrc", Action: "deny"},
	{Label: "shell startup", Path: "~/.bash_profile", Action: "deny"},
	{Label: "shell startup", Path: "~/.bash_login", Action: "deny"},
	{Label: "shell startup", Path: "~/.profile", Action: "deny"},
	{Label: "shell startup", Path: "~/.zshrc", Action: "deny"},
	{Label: "shell startup", Path: "~/.zprofile", Action: "deny"},
	{Label: "shell startup", Path: "~/.zshenv", Action: "deny"},
	{Label: "shell startup", Path: "~/.config/fish", Action: "deny"},
	{Label: "autostart entries", Path: "~/.config/autostart", Action: "deny"},
	{Label: "systemd user units", Path: "~/.config/systemd", Action: "deny"},
	{Label: "WineWarden config", Path: "~/.config/winewarden", Action: "deny"},
	// The trust key lives in $XDG_DATA_HOME/winewarden, which the wrapper
	// never exposes: only single prefixes below it are shown to a game.
}
