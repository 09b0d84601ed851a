// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes: the one vocabulary every layer speaks. The http package maps
// each to a status code in one place.
const (
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed
	EINTERNAL     = "internal"     // a bug or an outage; details only in logs
	EINVALID      = "invalid"      // the input is wrong; Fields says where
	ENOTFOUND     = "not_found"    // no such thing, or not visible to the caller
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	ETOOMANY      = "too_many"     // the caller sent too many requests; retry later
	EUNAVAILABLE  = "unavailable"  // the database cannot serve for now (outage, disk full); retry later
)

// Error is an application error with a code from the vocabulary above, a
// message safe to show to the caller, and, for EINVALID, the fields at fault.
type Error struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

// FieldError names one bad input field (a JSON path such as
// "requests[0].amount") and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("pactum error: code=%s message=%s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("pactum error: code=%s message=%s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, and a generic text for any other error so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validator collects field errors so that a caller learns every problem with
// its input at once rather than one per round trip.
type Validator struct {
	fields []FieldError
}

// Add records a problem with field.
func (v *Validator) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records a problem with field when ok is false.
func (v *Validator) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Merge adds the fields of err (an EINVALID *Error) under prefix, and reports
// whether err was of that kind. Other errors are left to the caller.
func (v *Validator) Merge(prefix string, err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		return false
	}
	for _, f := range e.Fields {
		name := f.Field
		if prefix != "" {
			name = prefix + "." + f.Field
		}
		v.fields = append(v.fields, FieldError{Field: name, Message: f.Message})
	}
	return true
}

// Err returns nil when nothing was recorded, else an EINVALID *Error whose
// message is msg and whose Fields are the recorded problems.
func (v *Validator) Err(msg string) error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: msg, Fields: v.fields}
}
