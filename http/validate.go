// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/pactum/pactum"
)

// apiDocument is the embedded OpenAPI document, loaded and checked once per
// server: the same text the client is generated from and that is served at
// /api/v1/openapi.json is what every request is validated against.
type apiDocument struct {
	doc  *openapi3.T
	opts *openapi3filter.Options
}

// loadAPIDocument parses and validates the embedded document.
func loadAPIDocument(ctx context.Context) (*apiDocument, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return &apiDocument{doc: doc, opts: &openapi3filter.Options{
		MultiError: true,
		// Authentication is the server's own (authed), before validation.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// The document declares no defaults; never re-encode the body.
		SkipSettingDefaults: true,
	}}, nil
}

// operation returns the document's operation for a ServeMux pattern such as
// "POST /api/v1/proposals/{id}/submit" (both use {name} for path
// parameters), or an error naming a route the document lacks: a server
// cannot start with an undocumented route.
func (d *apiDocument) operation(pattern string) (*routers.Route, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return nil, fmt.Errorf("route %q has no method", pattern)
	}
	item := d.doc.Paths.Value(path)
	var op *openapi3.Operation
	if item != nil {
		op = item.GetOperation(method)
	}
	if op == nil {
		return nil, fmt.Errorf("route %s is not in openapi.yaml", pattern)
	}
	return &routers.Route{Spec: d.doc, Path: path, PathItem: item, Method: method, Operation: op}, nil
}

// bufferedBody is a request body read once into memory (within the
// route's limit). Validation, the idempotency hash and decoding all use its
// bytes rather than reading the network again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (b *bufferedBody) Close() error { return nil }

// setBody makes data the request's body, readable any number of times.
func setBody(r *http.Request, data []byte) {
	r.Body = &bufferedBody{Reader: bytes.NewReader(data), data: data}
	r.ContentLength = int64(len(data))
	r.GetBody = func() (io.ReadCloser, error) { return &bufferedBody{Reader: bytes.NewReader(data), data: data}, nil }
}

// readAll returns the body's bytes, without copying a buffered body.
func readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if b, ok := r.Body.(*bufferedBody); ok {
		return b.data, nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// validated checks the request against the route's operation in the
// document, query, path, headers and body, and answers 400 with every
// problem named by its JSON path (or 413 for a body over limit) before
// next runs. Unknown query parameters are refused too: the document lists
// every parameter an operation takes.
func (s *Server) validated(w http.ResponseWriter, r *http.Request, route *routers.Route, limit int64, next func(http.ResponseWriter, *http.Request)) {
	if r.Body != nil && r.Body != http.NoBody {
		data, err := readAll(w, r, limit)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, http.StatusRequestEntityTooLarge, &pactum.Error{Code: pactum.EINVALID,
				Message: fmt.Sprintf("The request body is larger than %d MiB.", limit>>20)})
			return
		} else if err != nil {
			s.Error(w, r, pactum.Errorf(pactum.EINVALID, "Could not read the request body: %v.", err))
			return
		}
		setBody(r, data)
		if len(data) > 0 && r.Header.Get("Content-Type") == "" {
			// A body without a type is taken as JSON, the only type served.
			r.Header.Set("Content-Type", "application/json")
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: s.api.opts,
		PathParams: pathParams(r, route.Path)}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	unknown := unknownQuery(r, route)
	if err != nil || len(unknown) > 0 {
		s.Error(w, r, requestError(err, unknown))
		return
	}
	next(w, r)
}

// pathParams reads the values of path's {name} segments as ServeMux
// matched them.
func pathParams(r *http.Request, path string) map[string]string {
	var out map[string]string
	for seg := range strings.SplitSeq(path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			if out == nil {
				out = map[string]string{}
			}
			out[name] = r.PathValue(name)
		}
	}
	return out
}

// unknownQuery names each query parameter the operation does not declare.
func unknownQuery(r *http.Request, route *routers.Route) []pactum.FieldError {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				known[p.Value.Name] = true
			}
		}
	}
	var out []pactum.FieldError
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !known[k] {
			out = append(out, pactum.FieldError{Field: k, Message: "is not a known query parameter"})
		}
	}
	return out
}

// requestError turns what openapi3filter reports, and the unknown query
// parameters, into one EINVALID error in the project's vocabulary.
func requestError(err error, unknown []pactum.FieldError) error {
	p := problems{msg: "The request is not valid.", fields: unknown}
	if err != nil {
		p.add(err)
	}
	if len(p.fields) == 0 {
		return pactum.Errorf(pactum.EINVALID, "%s", p.msg)
	}
	return &pactum.Error{Code: pactum.EINVALID, Message: p.msg, Fields: p.fields}
}

// problems collects field errors, once each, and the message of the error.
type problems struct {
	msg    string
	fields []pactum.FieldError
}

func (p *problems) field(name, msg string) {
	if name == "" {
		name = "(body)"
	}
	fe := pactum.FieldError{Field: name, Message: msg}
	if !slices.Contains(p.fields, fe) {
		p.fields = append(p.fields, fe)
	}
}

func (p *problems) add(err error) {
	var me openapi3.MultiError
	var re *openapi3filter.RequestError
	var se *openapi3.SchemaError
	// A RequestError unwraps to its cause, so it is matched before the
	// MultiError it may hold: it knows which parameter or body is at fault.
	switch re, _ = err.(*openapi3filter.RequestError); {
	case re != nil && re.Parameter != nil:
		p.parameter(re)
	case re != nil && re.RequestBody != nil:
		p.body(re)
	case errors.As(err, &me):
		for _, e := range me {
			p.add(e)
		}
	case errors.As(err, &se):
		p.schema(se, "")
	default:
		p.msg = "The request is not valid: " + err.Error() + "."
	}
}

// parameter explains a bad query, path or header parameter.
func (p *problems) parameter(re *openapi3filter.RequestError) {
	name := re.Parameter.Name
	var pe *openapi3filter.ParseError
	var me openapi3.MultiError
	var se *openapi3.SchemaError
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		p.field(name, "is required")
	case errors.As(re.Err, &me):
		for _, e := range me {
			if errors.As(e, &se) {
				p.schema(se, name)
			}
		}
	case errors.As(re.Err, &se):
		p.schema(se, name)
	case errors.As(re.Err, &pe) && re.Parameter.Schema != nil && re.Parameter.Schema.Value != nil:
		p.field(name, "must be "+typeName(re.Parameter.Schema.Value))
	default:
		p.field(name, re.Error())
	}
}

// body explains a bad request body: its media type, its JSON, or each
// value that does not match the schema.
func (p *problems) body(re *openapi3filter.RequestError) {
	ct := re.Input.Request.Header.Get("Content-Type")
	var pe *openapi3filter.ParseError
	switch {
	case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		p.msg = fmt.Sprintf("The request body must be application/json, not %q.", ct)
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		p.msg = "The request body is empty; a JSON object is required."
	case errors.As(re.Err, &pe):
		p.msg = "The request body is not valid JSON."
		if pe.Cause != nil {
			p.msg = fmt.Sprintf("The request body is not valid JSON: %v.", pe.Cause)
		}
	case re.Err != nil:
		p.msg = "The request body does not match the API document."
		p.add(re.Err)
	default:
		p.msg = "The request body is not valid: " + re.Reason + "."
	}
}

// schema adds a schema violation at its JSON path, inside prefix (a
// parameter's name).
func (p *problems) schema(se *openapi3.SchemaError, prefix string) {
	parts := se.JSONPointer()
	if prefix != "" {
		parts = append([]string{prefix}, parts...)
	}
	path := jsonPointerPath(parts)
	reason := se.Reason
	switch se.SchemaField {
	case "type":
		p.field(path, strings.TrimPrefix(reason, "value "))
	case "enum":
		vals := make([]string, len(se.Schema.Enum))
		for i, v := range se.Schema.Enum {
			vals[i] = fmt.Sprint(v)
		}
		p.field(path, "must be one of "+strings.Join(vals, ", "))
	case "required":
		p.field(path, "is required")
	case "properties":
		if k, ok := strings.CutPrefix(reason, "property "); ok && strings.HasSuffix(k, " is unsupported") {
			k, _ = strconv.Unquote(strings.TrimSuffix(k, " is unsupported"))
			p.field(joinPath(path, k), "is not a known field")
			return
		}
		p.field(path, reason)
	case "format":
		switch se.Schema.Format {
		case "date":
			p.field(path, "must be a date such as 2026-01-31")
		case "date-time":
			p.field(path, "must be a date and time such as 2026-01-31T09:00:00Z")
		default:
			p.field(path, "must be of format "+se.Schema.Format)
		}
	case "maxLength":
		p.field(path, fmt.Sprintf("must be at most %d characters", *se.Schema.MaxLength))
	default:
		p.field(path, strings.TrimPrefix(reason, "number "))
	}
}

// jsonPointerPath writes a JSON pointer's parts as the project names
// fields: "requests[2].amount". No schema has an all-digit key, so a
// number is an array index.
func jsonPointerPath(parts []string) string {
	var b strings.Builder
	for _, k := range parts {
		if _, err := strconv.Atoi(k); err == nil {
			b.WriteString("[" + k + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return b.String()
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// typeName is "an integer", "a boolean": what a parameter must be.
func typeName(s *openapi3.Schema) string {
	if s.Type == nil || len(*s.Type) == 0 {
		return "a valid value"
	}
	t := (*s.Type)[0]
	switch t {
	case openapi3.TypeInteger, openapi3.TypeArray, openapi3.TypeObject:
		return "an " + t
	case openapi3.TypeBoolean:
		return "true or false"
	}
	return "a " + t
}
