package wrapper

import (
	"strings"
	"testing"
)

func TestCheckExposedDir(t *testing.T) {
	const runtime = "/run/user/1000"
	cases := []struct {
		dir  string
		want string // "" means accepted
	}{
		{"/home/alice/Games/Foo", ""},
		{"/tmp/test/game", ""},
		{"/run/media/alice/disk/Games/Foo", ""},
		{"/usr/share/games/foo", ""},
		{"/proc", "lies inside /proc"},
		{"/proc/1/root", "lies inside /proc"},
		{"/sys/class", "lies inside /sys"},
		{"/dev/shm/game", "lies inside /dev"},
		{"/run/user/1000", "lies inside /run/user"},
		{"/run/user/1000/doc", "lies inside /run/user"},
		{"/tmp", "contains /tmp"},
		{"/run", "contains /run"},
		{"/run/media", ""},
		{"/", "contains /tmp"},
	}
	for _, c := range cases {
		err := checkExposedDir("game directory", c.dir, runtime)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: rejected: %v", c.dir, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error containing %q", c.dir, err, c.want)
		}
	}
	if err := checkExposedDir("Wine prefix", "/var/lib/xdg-runtime/alice", "/var/lib/xdg-runtime/alice"); err == nil {
		t.Errorf("a prefix at the runtime dir was accepted")
	}
}
