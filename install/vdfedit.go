package install

import (
	"errors"
	"fmt"
	"strings"

	"github.com/andygrunwald/vdf"

	"github.com/winewarden/winewarden/launcher"
)

// vdfToken is a quoted string or a brace of a text VDF file, with its byte
// offsets.
type vdfToken struct {
	text       string // the string's value, or "{" or "}"
	start, end int
	quoted     bool
}

// scanVDF splits a text VDF file into tokens, skipping // comments.
func scanVDF(data string) ([]vdfToken, error) {
	var out []vdfToken
	for i := 0; i < len(data); {
		switch c := data[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.HasPrefix(data[i:], "//"):
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == '{' || c == '}':
			out = append(out, vdfToken{text: string(c), start: i, end: i + 1})
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(data) && data[j] != '"'; j++ {
				if data[j] == '\\' && j+1 < len(data) {
					j++
				}
				b.WriteByte(data[j])
			}
			if j >= len(data) {
				return nil, errors.New("unterminated string")
			}
			out = append(out, vdfToken{text: b.String(), start: i, end: j + 1, quoted: true})
			i = j + 1
		default:
			return nil, fmt.Errorf("unexpected %q at byte %d", c, i)
		}
	}
	return out, nil
}

// vdfBlock is a key whose value is a block: where the key starts, and
// where its braces are.
type vdfBlock struct {
	keyStart, open, close int
	depth                 int
}

// findBlock returns the block at path (keys matched without regard to
// case, as Steam does), or false.
func findBlock(tokens []vdfToken, path []string) (vdfBlock, bool) {
	var stack []string
	var opens []int
	for i, t := range tokens {
		switch {
		case !t.quoted && t.text == "{":
			key := ""
			if i > 0 && tokens[i-1].quoted {
				key = tokens[i-1].text
			}
			stack = append(stack, key)
			opens = append(opens, i)
		case !t.quoted && t.text == "}":
			if len(stack) == 0 {
				return vdfBlock{}, false
			}
			if len(stack) == len(path) && equalFold(stack, path) {
				o := opens[len(opens)-1]
				return vdfBlock{keyStart: tokens[o-1].start, open: tokens[o].start, close: t.start, depth: len(path)}, true
			}
			stack, opens = stack[:len(stack)-1], opens[:len(opens)-1]
		}
	}
	return vdfBlock{}, false
}

func equalFold(a, b []string) bool {
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// compatMappingPath is the path of config.vdf's section that maps each game
// to its compatibility tool.
var compatMappingPath = []string{"InstallConfigStore", "Software", "Valve", "Steam", "CompatToolMapping"}

// compatEntry is a CompatToolMapping entry naming WineWarden's tool, at
// depth tabs of indent.
func compatEntry(app string, depth int) string {
	in := strings.Repeat("\t", depth)
	return in + `"` + app + `"` + "\n" + in + "{\n" +
		in + "\t\"name\"\t\t\"" + launcher.ToolName + "\"\n" +
		in + "\t\"config\"\t\t\"\"\n" +
		in + "\t\"priority\"\t\t\"250\"\n" +
		in + "}\n"
}

// setCompatTool makes config.vdf map app (a Steam app id, or "0" for every
// game) to WineWarden's tool, replacing the entry app had.
func setCompatTool(data []byte, name, app string) ([]byte, error) {
	text := string(data)
	if _, err := vdf.NewParser(strings.NewReader(text)).Parse(); err != nil {
		return nil, fmt.Errorf("%s is not valid VDF (%v), so it was left as it is", name, err)
	}
	tokens, err := scanVDF(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %v, so it was left as it is", name, err)
	}
	mapping, ok := findBlock(tokens, compatMappingPath)
	if !ok {
		steam, ok := findBlock(tokens, compatMappingPath[:4])
		if !ok {
			return nil, fmt.Errorf("%s has no InstallConfigStore > Software > Valve > Steam section, so it was left as it is: start Steam once", name)
		}
		in := strings.Repeat("\t", steam.depth)
		block := in + "\"CompatToolMapping\"\n" + in + "{\n" + compatEntry(app, steam.depth+1) + in + "}\n"
		text = text[:lineStart(text, steam.close)] + block + text[lineStart(text, steam.close):]
	} else if entry, ok := findBlock(tokens, append(append([]string{}, compatMappingPath...), app)); ok {
		start := lineStart(text, entry.keyStart)
		end := entry.close + 1
		if end < len(text) && text[end] == '\n' {
			end++
		}
		text = text[:start] + compatEntry(app, entry.depth-1) + text[end:]
	} else {
		text = text[:lineStart(text, mapping.close)] + compatEntry(app, mapping.depth) + text[lineStart(text, mapping.close):]
	}
	return []byte(text), checkCompatTool(text, name, app)
}

// checkCompatTool parses the edited file again and checks the mapping.
func checkCompatTool(text, name, app string) error {
	m, err := vdf.NewParser(strings.NewReader(text)).Parse()
	if err != nil {
		return fmt.Errorf("editing %s would break it (%v), so it was left as it is", name, err)
	}
	if launcher.VDFString(m, append(append([]string{}, compatMappingPath...), app, "name")...) != launcher.ToolName {
		return fmt.Errorf("editing %s did not set the tool of app %s, so it was left as it is", name, app)
	}
	return nil
}

// lineStart returns the offset of the start of the line holding offset i.
func lineStart(text string, i int) int {
	return strings.LastIndexByte(text[:i], '\n') + 1
}

// removeCompatTool takes app's entry out of config.vdf's CompatToolMapping
// when it names WineWarden's tool, and leaves the file as it is otherwise.
func removeCompatTool(data []byte, name, app string) ([]byte, error) {
	text := string(data)
	m, err := vdf.NewParser(strings.NewReader(text)).Parse()
	if err != nil {
		return nil, fmt.Errorf("%s is not valid VDF (%v), so it was left as it is", name, err)
	}
	if launcher.VDFString(m, append(append([]string{}, compatMappingPath...), app, "name")...) != launcher.ToolName {
		return data, nil
	}
	tokens, err := scanVDF(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %v, so it was left as it is", name, err)
	}
	entry, ok := findBlock(tokens, append(append([]string{}, compatMappingPath...), app))
	if !ok {
		return data, nil
	}
	end := entry.close + 1
	if end < len(text) && text[end] == '\n' {
		end++
	}
	text = text[:lineStart(text, entry.keyStart)] + text[end:]
	if _, err := vdf.NewParser(strings.NewReader(text)).Parse(); err != nil {
		return nil, fmt.Errorf("editing %s would break it (%v), so it was left as it is", name, err)
	}
	return []byte(text), nil
}
