// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// Error codes of the command line's own, beside pactum's vocabulary, for
// failures that are not a pactum error.
const (
	codeNetwork = "network" // the request never got an answer
	codeCheck   = "check"   // a check found problems (audit verify, rules lint)
	codeOther   = "error"   // anything else
)

// Exit statuses. exitClasses says which error codes each stands for.
const (
	exitOK       = 0
	exitOther    = 1
	exitInvalid  = 2
	exitNotFound = 3
	exitDenied   = 4
	exitConflict = 5
	exitServer   = 6
	exitCheck    = 7
)

// exitClasses is the one mapping from an error's code to the process's
// exit status; --help and the README show it (exitHelp).
var exitClasses = []struct {
	status int
	codes  []string
	doc    string
}{
	{exitOK, nil, "success"},
	{exitOther, []string{codeOther}, "any other failure (a file that cannot be read, a local database that cannot be opened)"},
	{exitInvalid, []string{pactum.EINVALID}, "invalid input: an unknown command or flag, a missing argument, or input the server refused"},
	{exitNotFound, []string{pactum.ENOTFOUND}, "not found (or not visible to you)"},
	{exitDenied, []string{pactum.EUNAUTHORIZED, pactum.EFORBIDDEN}, "unauthorized or forbidden: no token, a bad token, or a role that may not do this"},
	{exitConflict, []string{pactum.ECONFLICT}, "conflict with the current state: an illegal transition, a duplicate"},
	{exitServer, []string{codeNetwork, pactum.EINTERNAL, pactum.ETOOMANY, pactum.EUNAVAILABLE}, "network or server: no answer, a server error, too many requests or the server's database unavailable (retry later)"},
	{exitCheck, []string{codeCheck}, "a check failed: audit verify found a broken chain or checkpoint, rules lint found problems, screen or proposals check: the proposal would be denied"},
}

// exitStatus is the exit status for an error code.
func exitStatus(code string) int {
	for _, c := range exitClasses {
		for _, k := range c.codes {
			if k == code {
				return c.status
			}
		}
	}
	return exitOther
}

// exitHelp is the table of exit statuses, for --help.
func exitHelp() string {
	var b strings.Builder
	for _, c := range exitClasses {
		fmt.Fprintf(&b, "  %d  %s\n", c.status, c.doc)
	}
	return b.String()
}

// usageError is a command line the CLI does not understand: an unknown
// command or flag, a wrong number of arguments, a missing required flag.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// errorCode classifies err: pactum's code for an error of pactum's own or
// the server's, one of the codes above otherwise.
func errorCode(err error) string {
	var ue usageError
	var ee *exitError
	var te transportError
	var ae *apiError
	var pe *pactum.Error
	switch {
	case errors.As(err, &ue):
		return pactum.EINVALID
	case errors.As(err, &ee):
		return codeCheck
	case errors.As(err, &te):
		return codeNetwork
	case errors.As(err, &ae):
		if exitStatus(ae.body.Code) != exitOther {
			return ae.body.Code
		}
		return statusCode(ae.status)
	case errors.As(err, &pe):
		return pe.Code
	}
	return codeOther
}

// statusCode is the code of an answer whose body is no pactum error (a
// proxy's error page, say), from its HTTP status.
func statusCode(status int) string {
	switch {
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
		return pactum.EINVALID
	case status == http.StatusUnauthorized:
		return pactum.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return pactum.EFORBIDDEN
	case status == http.StatusNotFound:
		return pactum.ENOTFOUND
	case status == http.StatusConflict:
		return pactum.ECONFLICT
	case status == http.StatusTooManyRequests:
		return pactum.ETOOMANY
	case status >= 500:
		return pactum.EINTERNAL
	}
	return codeOther
}

// exitCode is the exit status for err (0 for nil).
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitStatus(errorCode(err))
}

// reportError writes err to w: "pactum: " and its message, or with --json
// the API's error shape, {"error":{"code":…,"message":…,"fields":[…]}}.
func reportError(w io.Writer, err error, asJSON bool) {
	if !asJSON {
		fmt.Fprintln(w, "pactum: "+errorText(err))
		return
	}
	e := pactum.Error{Code: errorCode(err), Message: errorText(err)}
	var ae *apiError
	var pe *pactum.Error
	if errors.As(err, &ae) {
		e.Message, e.Fields = ae.body.Message, ae.body.Fields
	} else if errors.As(err, &pe) {
		e.Message, e.Fields = pe.Message, pe.Fields
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]pactum.Error{"error": e})
}

// argsWantJSON reports whether the command line asks for JSON (--json
// before any "--"), for errors found before its flags are parsed.
func argsWantJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	return false
}
