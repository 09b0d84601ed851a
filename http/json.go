// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pactum/pactum"
)

// MaxBodyBytes bounds a request body. A proposal with every text field at its
// limit stays well below it.
const MaxBodyBytes = 1 << 20

// errTooLarge marks a body over MaxBodyBytes, answered 413.
var errTooLarge = errors.New("request body too large")

// decode reads the request body into v strictly: JSON only, at most
// MaxBodyBytes, no unknown fields, no trailing data, and type errors named by
// field. It returns an EINVALID *pactum.Error (or errTooLarge) so the
// handler writes nothing.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimit(w, r, v, MaxBodyBytes)
}

// decodeLimit is decode with a body limit of its own, for the bulk
// endpoints.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return pactum.Errorf(pactum.EINVALID, "The request body must be application/json, not %q.", ct)
		}
	}
	data, err := readAll(w, r, limit)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	} else if err != nil {
		return pactum.Errorf(pactum.EINVALID, "Could not read the request body: %v.", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return pactum.Errorf(pactum.EINVALID, "The request body is empty; a JSON object is required.")
	}
	// encoding/json would silently turn bytes that are not UTF-8 into
	// U+FFFD; the caller meant something else, so say so (RFC 8259 §8.1).
	if !utf8.Valid(data) {
		return &pactum.Error{Code: pactum.EINVALID, Message: "The request body is not valid UTF-8.",
			Fields: []pactum.FieldError{{Field: "(body)", Message: fmt.Sprintf("must be UTF-8 (invalid byte at offset %d)", invalidUTF8At(data))}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, data, reflect.TypeOf(v))
	}
	if dec.More() {
		return pactum.Errorf(pactum.EINVALID, "The request body holds more than one JSON value.")
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of data that does not
// start a valid UTF-8 sequence.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// jsonPath drops the Go names of embedded structs from a decoding error's
// field path ("ProposalContent.duration_months" → "duration_months"):
// embedding flattens them into their parent, so the caller never wrote
// them. JSON keys here are all lower case, Go field names upper case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p[0] >= 'A' && p[0] <= 'Z' {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ".")
}

// decodeError explains a JSON decoding error with the field at fault.
func decodeError(err error, data []byte, t reflect.Type) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return pactum.Errorf(pactum.EINVALID, "The request body is not valid JSON (at byte %d): %v.", syn.Offset, err)
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		// encoding/json names "requests.amount" for requests[0].amount;
		// the offset finds which element.
		if p := pathAt(data, typ.Offset); p != "" && strings.ReplaceAll(stripIndexes(p), "[]", "") == field {
			field = p
		}
		if field == "" {
			field = "(body)"
		}
		return &pactum.Error{Code: pactum.EINVALID, Message: "The request body has a value of the wrong type.",
			Fields: []pactum.FieldError{{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return pactum.Errorf(pactum.EINVALID, "The request body is truncated JSON.")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		// encoding/json names only the key; find where it sits, so the
		// caller learns "requests[0].gpus", not just "gpus".
		var doc any
		if json.Unmarshal(data, &doc) == nil {
			if path := unknownPath(t, doc, ""); path != "" {
				f = path
			}
		}
		if f == "" {
			f = `""` // the empty key: name it visibly
		}
		return &pactum.Error{Code: pactum.EINVALID, Message: "The request body has a field this endpoint does not accept.",
			Fields: []pactum.FieldError{{Field: f, Message: "is not a known field"}}}
	}
	// Errors from a type's own UnmarshalJSON (a date, say) end up here.
	return pactum.Errorf(pactum.EINVALID, "The request body is not valid: %s.", strings.TrimPrefix(msg, "json: "))
}

// pathAt returns the JSON path ("requests[0].amount") of the value that
// ends at or after offset in data, or "" when there is none.
func pathAt(data []byte, offset int64) string {
	type level struct {
		array bool
		index int
		key   string
	}
	var stack []level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.array {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			} else if l.key != "" {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a number out of float64's range is a token all the same
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
		} else if s, ok := tok.(string); ok && expectKey {
			stack[len(stack)-1].key = s
			expectKey = false
			continue
		} else if dec.InputOffset() >= offset {
			return path()
		} else if d, ok := tok.(json.Delim); ok {
			stack = append(stack, level{array: d == '['})
			expectKey = d == '{'
			continue
		}
		// A value (or a container) just ended: move to the next slot.
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				expectKey = true
			}
		}
	}
}

// stripIndexes turns "a[0].b[12]" into "a[].b[]".
func stripIndexes(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			skip = true
			b.WriteRune(r)
		case r == ']':
			skip = false
			b.WriteRune(r)
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	}
	return "a " + goKind
}

// writeJSON writes v with status. Encoding errors can only be programming
// errors on our own types; the status line is already sent, so they are
// ignored beyond what the client sees as truncated JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if raw, ok := v.(rawJSON); ok {
		_, _ = w.Write(raw)
		return
	}
	// Compact: the CLI indents for people, and indenting every response
	// costs the server more than encoding it.
	_ = json.NewEncoder(w).Encode(v)
}

// rawJSON is a body stored as JSON already (an allocation run's instance),
// sent byte for byte rather than re-encoded.
type rawJSON []byte

// list is the shape of every collection response.
type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// query reads and checks query parameters, collecting every problem.
type query struct {
	r *http.Request
	v pactum.Validator
}

func (q *query) str(name string) *string {
	if !q.r.URL.Query().Has(name) {
		return nil
	}
	s := q.r.URL.Query().Get(name)
	return &s
}

func (q *query) int(name string, min, max int) int {
	s := q.r.URL.Query().Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		q.v.Add(name, "must be an integer from %d to %d", min, max)
		return 0
	}
	return n
}

// page reads the limit and offset every list endpoint takes.
func (q *query) page() (limit, offset int) {
	return q.int("limit", 1, 1000), q.int("offset", 0, 1<<30)
}

// enum reads a parameter that takes one of a type's values: valid tells
// which, and msg names them to a caller who sent another.
func enum[T ~string](q *query, name string, valid func(T) bool, msg string) *T {
	s := q.str(name)
	if s == nil {
		return nil
	}
	v := T(*s)
	if !valid(v) {
		q.v.Add(name, "%s", msg)
	}
	return &v
}

// stage reads the review stage the assignment and review lists filter on.
func (q *query) stage() *pactum.ReviewStage {
	return enum(q, "stage", pactum.ReviewStage.Valid, "must be one of technical, ethics, peer, reply, panel, decision")
}

func (q *query) bool(name string) bool {
	s := q.r.URL.Query().Get(name)
	switch s {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	q.v.Add(name, "must be true or false")
	return false
}

// only refuses query parameters other than allowed, so a misspelt filter
// cannot silently return everything.
func (q *query) only(allowed ...string) {
	for _, k := range slices.Sorted(maps.Keys(q.r.URL.Query())) {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
			}
		}
		if !ok {
			q.v.Add(k, "is not a known query parameter")
		}
	}
}

func (q *query) err() error { return q.v.Err("The query parameters are not valid.") }

// unknownPath returns the JSON path of the first key in doc that type t has
// no field for, or "".
func unknownPath(t reflect.Type, doc any, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := doc.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(v)) {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				return name
			}
			if p := unknownPath(ft, v[k], name); p != "" {
				return p
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return ""
		}
		for i, e := range v {
			if p := unknownPath(t.Elem(), e, prefix+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonFields maps a struct's JSON keys to their types, following embedded
// structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(out, jsonFields(ft))
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
