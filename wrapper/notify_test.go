package wrapper

import (
	"strings"
	"testing"
)

func TestPlainTextDropsMarkup(t *testing.T) {
	cases := map[string]string{
		"tried to start C:\\x\\cmd.exe":  "tried to start C:\\x\\cmd.exe",
		"<a href=\"http://x\">click</a>": "a href=\"http://x\"click/a",
		"a&amp;b":                        "aamp;b",
		"line\nbreak\x1b[31m":            "line break [31m",
	}
	for in, want := range cases {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := plainText(strings.Repeat("é", 1000)); len(got) > maxNotificationText+8 || !strings.HasSuffix(got, "...") {
		t.Errorf("long text not cut: %d bytes", len(got))
	}
}
