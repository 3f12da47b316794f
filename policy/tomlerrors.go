package policy

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// fileError is a decoding error rewritten for the user. It keeps the go-toml
// error in the chain for callers that want the raw position.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// decodeError turns a go-toml error into messages of the form
// "config.toml:7: unknown key "process.max_childs"".
func decodeError(data []byte, name string, err error) error {
	if strict, ok := errors.AsType[*toml.StrictMissingError](err); ok {
		keys := keyOffsets(data)
		starts := lineStarts(data)
		var errs []error
		for i := range strict.Errors {
			errs = append(errs, unknownKeyError(name, keys, starts, &strict.Errors[i]))
		}
		return errors.Join(errs...)
	}

	decode, ok := errors.AsType[*toml.DecodeError](err)
	if !ok {
		return fmt.Errorf("%s: %w", name, err)
	}
	line, column := decode.Position()
	message := strings.TrimPrefix(decode.Error(), "toml: ")
	key := joinKey(decode.Key())
	// For a value inside an inline table go-toml v2.4.3 reports only the
	// outer key, but its message names the struct field. The field is exact
	// unless one struct type serves several tables ([tiers.red] and
	// [tiers.green] share TierProfile), so a key go-toml names in full wins.
	match := mismatchMessage.FindStringSubmatch(message)
	if match != nil {
		key = fieldKey(key, match[2])
	}

	expected, known := schema.types[key]
	if known && expected.Kind() == reflect.Pointer {
		// An optional key (a tier profile's) takes what its target takes.
		expected = expected.Elem()
	}
	if !known {
		return &fileError{fmt.Sprintf("%s:%d:%d: invalid TOML: %s", name, line, column, message), decode}
	}
	found, ok := foundType(message, match, expected)
	if !ok {
		return &fileError{fmt.Sprintf("%s:%d: key %q: %s", name, line, key, message), decode}
	}
	return &fileError{
		fmt.Sprintf("%s:%d: key %q: expected %s, found %s", name, line, key, describeType(expected), found),
		decode,
	}
}

// fieldKey returns the dotted key of the struct field goField (such as
// "policy.TierProfile.NetworkMode") that go-toml reported a mismatch for at
// key. When key is the table that holds the field, the field's key is
// built below it, because one struct type can serve several tables.
func fieldKey(key, goField string) string {
	t, ok := schema.types[key]
	if ok && t.Kind() != reflect.Struct {
		return key
	}
	if ok {
		typeName, fieldName, _ := cutLast(goField, ".")
		if typeName == t.String() {
			if f, found := t.FieldByName(fieldName); found {
				return key + "." + f.Tag.Get("toml")
			}
		}
	}
	if k, ok := schema.fields[goField]; ok {
		return k
	}
	return key
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// mismatchMessage matches go-toml v2.4.3's type mismatch text, for example
// "cannot decode TOML string into struct field policy.General.Enabled of type bool".
// The groups are the TOML type, the Go struct field and the Go type.
var mismatchMessage = regexp.MustCompile(`^cannot decode TOML (.+) into struct field (\S+) of type (\S+)$`)

// foundType names the TOML type that the document holds where a value of
// type expected belongs, or returns false if message is not a type mismatch.
// match is mismatchMessage's match on message, or nil.
func foundType(message string, match []string, expected reflect.Type) (string, bool) {
	switch {
	case strings.HasPrefix(message, "cannot store a table in"):
		return "a table", true
	case strings.HasPrefix(message, "cannot store an array table in"):
		return "an array of tables", true
	case match == nil:
		return "", false
	}

	found, target := withArticle(match[1]), match[3]
	// go-toml reports a bad array element against the element type, as in
	// "allowed_patterns = [1]".
	if expected.Kind() == reflect.Slice && target == expected.Elem().String() {
		return "an array containing " + found, true
	}
	return found, true
}

// unknownKeyError describes one key or table that Config has no field for,
// and lists the keys that are valid in its place.
func unknownKeyError(name string, keys map[int][]string, lineStarts []int, missing *toml.DecodeError) error {
	line, column := missing.Position()
	// go-toml v2.4.3 reports a key inside an inline table without the keys
	// around it, so the full key is looked up by its position.
	key := keys[offsetAt(lineStarts, line, column)]
	if key == nil {
		key = missing.Key()
	}

	kind := "key"
	if strings.HasSuffix(missing.Error(), "missing table") {
		kind = "table"
	}
	msg := fmt.Sprintf("%s:%d: unknown %s %q", name, line, kind, joinKey(key))

	if len(key) > 0 {
		parent := joinKey(key[:len(key)-1])
		if children, ok := schema.children[parent]; ok {
			msg += fmt.Sprintf("; valid keys %s are %s", describeTable(parent), strings.Join(children, ", "))
		}
	}
	return &fileError{msg, missing}
}

// lineStarts returns the byte offset at which each line of data starts.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offsetAt converts a 1-based line and byte column into a byte offset, or -1.
func offsetAt(starts []int, line, column int) int {
	if line < 1 || line > len(starts) {
		return -1
	}
	return starts[line-1] + column - 1
}

// keyOffsets maps the byte offset of each key in data to the key's full
// path, including the table header and any enclosing inline tables. It
// returns what it collected before the first syntax error, which is enough
// because go-toml only reports unknown keys for documents it could parse.
func keyOffsets(data []byte) map[int][]string {
	keys := map[int][]string{}
	var parser unstable.Parser
	parser.Reset(data)

	var table []string
	for parser.NextExpression() {
		expr := parser.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			it := expr.Key()
			table = recordKey(keys, nil, &it)
		case unstable.KeyValue:
			recordKeyValue(keys, table, expr)
		}
	}
	return keys
}

func recordKeyValue(keys map[int][]string, prefix []string, keyValue *unstable.Node) {
	it := keyValue.Key()
	full := recordKey(keys, prefix, &it)
	recordValue(keys, full, keyValue.Value())
}

// recordValue descends into inline tables, also inside arrays.
func recordValue(keys map[int][]string, prefix []string, value *unstable.Node) {
	switch value.Kind {
	case unstable.InlineTable:
		children := value.Children()
		for children.Next() {
			recordKeyValue(keys, prefix, children.Node())
		}
	case unstable.Array:
		children := value.Children()
		for children.Next() {
			recordValue(keys, prefix, children.Node())
		}
	}
}

// recordKey appends the parts of a dotted key to prefix, stores the result
// at the offset of the first part and returns it.
func recordKey(keys map[int][]string, prefix []string, parts *unstable.Iterator) []string {
	full := slices.Clone(prefix)
	offset := -1
	for parts.Next() {
		part := parts.Node()
		if offset < 0 {
			offset = int(part.Raw.Offset)
		}
		full = append(full, string(part.Data))
	}
	if offset >= 0 {
		keys[offset] = full
	}
	return full
}

// joinKey writes a key the way TOML does, quoting parts that are not bare
// keys.
func joinKey(key []string) string {
	parts := make([]string, len(key))
	for i, part := range key {
		parts[i] = part
		if !isBareKey(part) {
			parts[i] = fmt.Sprintf("%q", part)
		}
	}
	return strings.Join(parts, ".")
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		bare := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !bare {
			return false
		}
	}
	return true
}

func withArticle(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// describeType names the TOML type that a Config field of type t accepts.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "an array of tables"
		}
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		if t.Elem().Kind() == reflect.Int {
			return "an array of integers"
		}
	}
	return t.String()
}

func describeTable(key string) string {
	switch {
	case key == "":
		return "at the top level"
	case schema.types[key].Kind() == reflect.Slice:
		return "in [[" + key + "]]"
	}
	return "in [" + key + "]"
}

// schema describes Config's keys, read from its toml tags so that it cannot
// drift from the struct.
var schema = buildSchema(reflect.TypeFor[Config]())

type keySchema struct {
	types    map[string]reflect.Type // dotted key to Go type
	fields   map[string]string       // Go struct field ("policy.Process.MaxChildProcesses") to dotted key
	children map[string][]string     // dotted table key ("" at the top) to its sorted keys
}

func buildSchema(root reflect.Type) keySchema {
	s := keySchema{
		types:    map[string]reflect.Type{},
		fields:   map[string]string{},
		children: map[string][]string{},
	}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for field := range t.Fields() {
			name := field.Tag.Get("toml")
			key := name
			if prefix != "" {
				key = prefix + "." + name
			}
			s.types[key] = field.Type
			s.fields[t.String()+"."+field.Name] = key
			s.children[prefix] = append(s.children[prefix], name)

			switch {
			case field.Type.Kind() == reflect.Struct:
				walk(key, field.Type)
			case field.Type.Kind() == reflect.Slice && field.Type.Elem().Kind() == reflect.Struct:
				walk(key, field.Type.Elem())
			}
		}
		slices.Sort(s.children[prefix])
	}
	walk("", root)
	return s
}
