package install

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// member is one key of a JSON object and its value as written.
type member struct {
	Key   string
	Value json.RawMessage
}

// object is a JSON object that keeps its keys in file order, so an edit
// changes only the key it sets.
type object []member

// UnmarshalJSON reads an object, keeping its keys' order.
func (o *object) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	*o = nil
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("object key is not a string")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return err
		}
		*o = append(*o, member{Key: key, Value: value})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return errors.New("unterminated JSON object")
	}
	return nil
}

// MarshalJSON writes the object with its keys in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// set replaces key's value, or adds key at the end.
func (o *object) set(key string, value any) error {
	raw, err := marshal(value)
	if err != nil {
		return err
	}
	for i := range *o {
		if (*o)[i].Key == key {
			(*o)[i].Value = raw
			return nil
		}
	}
	*o = append(*o, member{Key: key, Value: raw})
	return nil
}

// marshal encodes v as json.Marshal does, but leaves <, > and & as they
// are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// parseObject reads a whole document that has to be one JSON object.
func parseObject(data []byte, name string) (object, error) {
	var o object
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%v), so it was left as it is", name, err)
	}
	return o, nil
}

// formatLike indents doc with two spaces, as Heroic writes its files, and
// ends it with a newline when the original ended with one.
// Characters such as < and & stay as they were, not escaped.
func formatLike(doc object, original []byte) ([]byte, error) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	// Encode ends with a newline.
	if !bytes.HasSuffix(original, []byte("\n")) {
		out.Truncate(out.Len() - 1)
	}
	return out.Bytes(), nil
}
