package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
)

// WriteReportJSON writes the complete report as indented JSON, with no list
// shortened. HTML characters stay as they are, so a redacted "<user>" reads
// as written.
func WriteReportJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}

// LoadReport reads the session log at path and builds its report. A log
// whose last line was cut short is reported with Session.Truncated set and
// a warning.
func LoadReport(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("reading session log: %w", err)
	}
	defer f.Close()

	events, truncated, err := Decode(f)
	if err != nil {
		return Report{}, fmt.Errorf("reading session log %s: %w", path, err)
	}
	r := BuildReport(events)
	if truncated {
		r.Session.Truncated = true
		r.Warnings = append(r.Warnings, Warning{Kind: "truncated", Count: 1,
			Detail: "the log ends in a line that a crash cut short; the report leaves that line out"})
	}
	return r, nil
}

// The helpers below read Event.Fields. After Read, JSON numbers in it are
// float64, lists are []any and objects are map[string]any. Events built in
// memory hold Go types instead (int, []string, []map[string]any), so both
// forms are accepted. A missing or mistyped field reads as the zero value.

func fieldString(f map[string]any, key string) string {
	if s, ok := f[key].(string); ok {
		return s
	}
	// A named string type, such as a status constant.
	if rv := reflect.ValueOf(f[key]); rv.Kind() == reflect.String {
		return rv.String()
	}
	return ""
}

func fieldBool(f map[string]any, key string) bool {
	v, _ := f[key].(bool)
	return v
}

func fieldInt(f map[string]any, key string) int {
	n, _ := fieldNumber(f, key)
	return int(n)
}

func fieldNumber(f map[string]any, key string) (float64, bool) {
	return number(f[key])
}

// number converts any Go number or json.Number to float64.
func number(v any) (float64, bool) {
	if n, ok := v.(json.Number); ok {
		x, err := n.Float64()
		return x, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

func fieldStrings(f map[string]any, key string) []string {
	switch list := f[key].(type) {
	case []string:
		return list
	case []any:
		out := make([]string, 0, len(list))
		for _, item := range list {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func fieldObject(f map[string]any, key string) map[string]any {
	switch m := f[key].(type) {
	case map[string]any:
		return m
	case map[string]int:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return nil
}

// jsonFields returns f as Read would return it, by encoding and decoding it.
// It returns f itself if that fails.
func jsonFields(f map[string]any) map[string]any {
	data, err := json.Marshal(f)
	if err != nil {
		return f
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return f
	}
	return out
}

func fieldObjects(f map[string]any, key string) []map[string]any {
	switch list := f[key].(type) {
	case []map[string]any:
		return list
	case []any:
		out := make([]map[string]any, 0, len(list))
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// FieldString returns the string in f[key], or "". Like the other Field
// functions it accepts both the Go values of events built in memory and
// the JSON values of events read back from a log.
func FieldString(f map[string]any, key string) string { return fieldString(f, key) }

// FieldInt returns the number in f[key] as an int, or 0.
func FieldInt(f map[string]any, key string) int { return fieldInt(f, key) }

// FieldStrings returns the list of strings in f[key], or nil.
func FieldStrings(f map[string]any, key string) []string { return fieldStrings(f, key) }
