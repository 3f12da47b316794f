package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testHome = "/home/player"

func TestExpandZones(t *testing.T) {
	zones := []SacredZone{
		{Label: "ssh", Path: "~/.ssh/", Action: "deny"},
		{Label: "steam", Path: "~/.steam/steam/ssfn*", Action: "deny"},
		{Label: "abs", Path: "/srv//data/./x/../y", Action: "read-only"},
		{Label: "up", Path: "~/../shared", Action: "redirect"},
	}
	want := []Zone{
		{Label: "ssh", Path: "/home/player/.ssh", Action: "deny"},
		{Label: "steam", Path: "/home/player/.steam/steam/ssfn*", Action: "deny", Pattern: true},
		{Label: "abs", Path: "/srv/data/y", Action: "read-only"},
		{Label: "up", Path: "/home/shared", Action: "redirect"},
	}
	if got := ExpandZones(zones, testHome+"/"); !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandZones =\n%+v\nwant\n%+v", got, want)
	}
}

func TestExpandZonesDefaultsAreAbsolute(t *testing.T) {
	for _, z := range ExpandZones(Default().SacredZones, testHome) {
		if !strings.HasPrefix(z.Path, testHome+"/") {
			t.Errorf("zone %q expanded to %q, want a path under %s", z.Label, z.Path, testHome)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		path, dir string
		want      bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b/c", "/a/b", true},
		{"/a/b/c/d", "/a/b", true},
		{"/a/bc", "/a/b", false},
		{"/a/b", "/a/bc", false},
		{"/a", "/a/b", false},
		{"/a/b/", "/a/b", true},
		{"/a/b", "/a/b/", true},
		{"/a/b/c/..", "/a/b", true},
		{"/a/b/../c", "/a/b", false},
		{"/a/b/../b/c", "/a/b", true},
		{"/a/b/../../etc/passwd", "/a/b", false},
		{"//a//b//c", "/a/b", true},
		{"/a/./b/c", "/a/b", true},
		{"/../a/b", "/a", true},
		{"/anything", "/", true},
		{"/", "/", true},
		{"relative", "/", false},
		{"a/b", "a", true},
		{"ab", "a", false},
		{"a", ".", true},
		{"../a", ".", false},
		{"/a", ".", false},
	}
	for _, tt := range tests {
		if got := Within(tt.path, tt.dir); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

func TestZoneMatches(t *testing.T) {
	ssh := Zone{Label: "ssh", Path: "/home/player/.ssh"}
	ssfn := Zone{Label: "steam", Path: "/home/player/.steam/steam/ssfn*", Pattern: true}
	rootPattern := Zone{Label: "root", Path: "/secret*", Pattern: true}

	tests := []struct {
		zone Zone
		path string
		want bool
	}{
		{ssh, "/home/player/.ssh", true},
		{ssh, "/home/player/.ssh/", true},
		{ssh, "/home/player/.ssh/id_ed25519", true},
		{ssh, "/home/player/.sshd", false},
		{ssh, "/home/player", false},
		{ssh, "/home/player/games/../.ssh/id_rsa", true},
		{ssh, "/home/player/.ssh/../games", false},

		{ssfn, "/home/player/.steam/steam/ssfn123456", true},
		{ssfn, "/home/player/.steam/steam/ssfn", true},
		{ssfn, "/home/player/.steam/steam/ssfn1/inner", true},
		{ssfn, "/home/player/.steam/steam/xssfn1", false},
		{ssfn, "/home/player/.steam/steam", false},
		{ssfn, "/home/player/.steam/steam/config/ssfn1", false},
		{ssfn, "/home/player/.steam/steamapps/ssfn1", false},
		{ssfn, "/home/player/.steam/steam/games/../ssfn9", true},

		{rootPattern, "/secret", true},
		{rootPattern, "/secrets/x", true},
		{rootPattern, "/", false},
		{rootPattern, "/public", false},
	}
	for _, tt := range tests {
		if got := tt.zone.Matches(tt.path); got != tt.want {
			t.Errorf("Zone %q Matches(%q) = %v, want %v", tt.zone.Path, tt.path, got, tt.want)
		}
	}
}

func TestZoneMatchesMalformedPatternFailsClosed(t *testing.T) {
	z := Zone{Path: "/srv/[x*", Pattern: true}
	if !z.Matches("/srv/anything") {
		t.Error("a malformed pattern zone did not match an entry of its parent")
	}
}

func TestCheckBindSourceAccepts(t *testing.T) {
	zones := ExpandZones(Default().SacredZones, testHome)
	byPath := func(paths ...string) []Zone {
		var out []Zone
		for _, z := range zones {
			for _, p := range paths {
				if z.Path == p {
					out = append(out, z)
				}
			}
		}
		return out
	}

	tests := []struct {
		name   string
		src    string
		masked []Zone
	}{
		{"game outside home", "/mnt/games/Witcher3", nil},
		{"game inside home", "/home/player/Games/witcher3", nil},
		{"wine prefix", "/home/player/.wine", nil},
		{"trailing slash", "/home/player/Games/witcher3/", nil},
		{"sibling of a zone", "/home/player/.sshkeys-backup", nil},
		{"sibling of a pattern match", "/home/player/.steam/steam/steamapps/common/Game", nil},
		{
			"steam root masks login files",
			"/home/player/.steam/steam",
			byPath("/home/player/.steam/steam/config/loginusers.vdf",
				"/home/player/.steam/steam/config/config.vdf",
				"/home/player/.steam/steam/ssfn*"),
		},
		{
			"local share masks several zones",
			"/home/player/.local/share",
			byPath("/home/player/.local/share/TelegramDesktop",
				"/home/player/.local/share/keyrings",
				"/home/player/.local/share/Steam/config/loginusers.vdf",
				"/home/player/.local/share/Steam/config/config.vdf",
				"/home/player/.local/share/Steam/ssfn*"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			masked, err := CheckBindSource(tt.src, testHome, zones)
			if err != nil {
				t.Fatalf("CheckBindSource(%q) error: %v", tt.src, err)
			}
			if !reflect.DeepEqual(masked, tt.masked) {
				t.Errorf("CheckBindSource(%q) masked =\n%+v\nwant\n%+v", tt.src, masked, tt.masked)
			}
		})
	}
}

func TestCheckBindSourceRejects(t *testing.T) {
	zones := ExpandZones(Default().SacredZones, testHome)
	tests := []struct {
		name string
		src  string
		home string
		want string
	}{
		{
			"root", "/", testHome,
			`unsafe bind source "/": it is the filesystem root and would expose every host file`,
		},
		{
			"root by dot-dot", "/mnt/..", testHome,
			`unsafe bind source "/": it is the filesystem root and would expose every host file`,
		},
		{
			"home", "/home/player", testHome,
			`unsafe bind source "/home/player": it contains your home directory /home/player, ` +
				`which must stay invisible`,
		},
		{
			"home with trailing slash", "/home/player/", testHome + "/",
			`unsafe bind source "/home/player": it contains your home directory /home/player, ` +
				`which must stay invisible`,
		},
		{
			"home by dot-dot", "/home/player/Games/..", testHome,
			`unsafe bind source "/home/player": it contains your home directory /home/player, ` +
				`which must stay invisible`,
		},
		{
			"ancestor of home", "/home", testHome,
			`unsafe bind source "/home": it contains your home directory /home/player, ` +
				`which must stay invisible`,
		},
		{
			"sacred zone itself", "/home/player/.ssh", testHome,
			`unsafe bind source "/home/player/.ssh": it is inside the sacred zone "SSH keys" ` +
				`(/home/player/.ssh)`,
		},
		{
			"inside sacred zone", "/home/player/.config/discord/Cache", testHome,
			`unsafe bind source "/home/player/.config/discord/Cache": it is inside the sacred zone ` +
				`"Discord session" (/home/player/.config/discord)`,
		},
		{
			"inside sacred zone by dot-dot", "/home/player/Games/../.gnupg/private", testHome,
			`unsafe bind source "/home/player/.gnupg/private": it is inside the sacred zone "GnuPG keys" ` +
				`(/home/player/.gnupg)`,
		},
		{
			"pattern zone match", "/home/player/.local/share/Steam/ssfn42", testHome,
			`unsafe bind source "/home/player/.local/share/Steam/ssfn42": it is inside the sacred zone ` +
				`"Steam login" (/home/player/.local/share/Steam/ssfn*)`,
		},
		{
			"relative source", "Games/witcher3", testHome,
			`unsafe bind source "Games/witcher3": the path is relative: pass an absolute path`,
		},
		{
			"relative home", "/mnt/games", "",
			`unsafe bind source "/mnt/games": the home directory "" is not absolute: set HOME to an absolute path`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			masked, err := CheckBindSource(tt.src, tt.home, zones)
			if err == nil {
				t.Fatalf("CheckBindSource(%q) accepted it (masked %+v), want an error", tt.src, masked)
			}
			if !errors.Is(err, ErrUnsafeSource) {
				t.Errorf("error %v does not wrap ErrUnsafeSource", err)
			}
			if err.Error() != tt.want {
				t.Errorf("CheckBindSource(%q) error =\n%s\nwant\n%s", tt.src, err, tt.want)
			}
			if masked != nil {
				t.Errorf("masked = %+v on error, want nil", masked)
			}
		})
	}
}

func TestCheckBindSourceRejectsRelativeZone(t *testing.T) {
	zones := ExpandZones([]SacredZone{{Label: "ssh", Path: "~/.ssh", Action: "deny"}}, "")
	_, err := CheckBindSource("/mnt/games", testHome, zones)
	if !errors.Is(err, ErrUnsafeSource) {
		t.Fatalf("CheckBindSource with a relative zone = %v, want ErrUnsafeSource", err)
	}
	want := `unsafe bind source "/mnt/games": sacred zone "ssh" has the relative path ".ssh": expand it against an absolute home`
	if err.Error() != want {
		t.Errorf("error =\n%s\nwant\n%s", err, want)
	}
}

func TestCheckBindSourceUserZone(t *testing.T) {
	cfg, err := Parse([]byte("[[sacred_zones]]\nlabel = \"saves backup\"\npath = \"/mnt/games/backup\"\n"), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	zones := ExpandZones(cfg.SacredZones, testHome)

	masked, err := CheckBindSource("/mnt/games", testHome, zones)
	if err != nil {
		t.Fatalf("CheckBindSource: %v", err)
	}
	want := []Zone{{Label: "saves backup", Path: "/mnt/games/backup", Action: "deny"}}
	if !reflect.DeepEqual(masked, want) {
		t.Errorf("masked = %+v, want %+v", masked, want)
	}

	_, err = CheckBindSource("/mnt/games/backup/2024", testHome, zones)
	if !errors.Is(err, ErrUnsafeSource) || !strings.Contains(err.Error(), `"saves backup"`) {
		t.Errorf("source inside the user zone: error = %v, want ErrUnsafeSource naming the zone", err)
	}
}
