//go:build linux

package supervisor

import "testing"

func TestArgvMatches(t *testing.T) {
	tests := []struct {
		name    string
		want    []string
		wantCut bool
		got     []string
		gotCut  bool
		match   bool
	}{
		{"equal", []string{"a", "b"}, false, []string{"a", "b"}, false, true},
		{"swapped argument", []string{"wine64", "game.exe"}, false, []string{"wine64", "cmd.exe"}, false, false},
		{"extra argument", []string{"a"}, false, []string{"a", "b"}, false, false},
		{"missing argument", []string{"a", "b"}, false, []string{"a"}, false, false},
		{"both cut, last entry a prefix", []string{"a", "bb"}, true, []string{"a", "bbbb", "c"}, true, true},
		{"approval cut, same start", []string{"a", "x"}, true, []string{"a", "x", "y"}, false, true},
		{"approval cut, differs before the cut", []string{"a", "x"}, true, []string{"b", "x", "y"}, false, false},
		{"empty", nil, false, nil, false, true},
	}
	for _, tt := range tests {
		if got := argvMatches(tt.want, tt.wantCut, tt.got, tt.gotCut); got != tt.match {
			t.Errorf("%s: argvMatches = %v, want %v", tt.name, got, tt.match)
		}
	}
}
