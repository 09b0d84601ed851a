// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pactum/pactum"
)

// evilName is an organization name an applicant could register: it clears
// the screen, sets the terminal's title, reverses the text after it, and
// carries DEL and the 8-bit CSI.
const evilName = "Evil\x1b[2J\x1b]0;pwned\x07 Ltd \u202eDCBA\x7f\u009b"

// evilEscaped is evilName as the CLI prints it.
const evilEscaped = `Evil\x1b[2J\x1b]0;pwned\x07 Ltd \u202eDCBA\u007f\u009b`

// raw reports whether s holds a character the CLI must never print.
func raw(s string) bool {
	return strings.ContainsAny(s, "\x1b\x07\x7f\u009b\u202e")
}

// fakeServer answers the few requests the tests below send, with evilName
// in its organizations and errors of every class.
func fakeServer(t *testing.T) map[string]string {
	t.Helper()
	org := func(id, name string) map[string]any {
		return map[string]any{"id": id, "legal_name": name, "country": "DE", "registration_number": "HRB 1",
			"founded_on": "2022-03-01", "staff": 24, "turnover_eur": 2000000, "balance_sheet_eur": 3000000, "sme": true, "startup": true}
	}
	orgs := []map[string]any{
		org("01a23a4f-42df-7414-b66c-d3f5380c3492", evilName),
		org("01a23a4f-4301-7cc8-8a3b-2f0e1d9c8b7a", "Aleph Lingua GmbH, a company with a very long legal name indeed"),
		org("01a23a4f-4301-7e11-9c2d-4b5a6e7f8091", "Bora Vision SAS"),
	}
	mux := http.NewServeMux()
	send := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(status int, code, msg string, fields ...pactum.FieldError) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			send(w, status, map[string]any{"error": pactum.Error{Code: code, Message: msg, Fields: fields}})
		}
	}
	mux.HandleFunc("GET /api/v1/organizations", func(w http.ResponseWriter, _ *http.Request) {
		send(w, 200, map[string]any{"items": orgs, "total": len(orgs)})
	})
	mux.HandleFunc("GET /api/v1/organizations/{id}", func(w http.ResponseWriter, _ *http.Request) { send(w, 200, orgs[0]) })
	mux.HandleFunc("GET /api/v1/proposals", fail(500, pactum.EINTERNAL, "Internal error."))
	mux.HandleFunc("GET /api/v1/calls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		fail(429, pactum.ETOOMANY, "Too many requests.")(w, r)
	})
	mux.HandleFunc("GET /api/v1/systems", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	})
	mux.HandleFunc("GET /api/v1/me", fail(403, pactum.EFORBIDDEN, "No access for "+evilName+"."))
	mux.HandleFunc("GET /api/v1/allocations", fail(401, pactum.EUNAUTHORIZED, "The token is not valid."))
	mux.HandleFunc("GET /api/v1/notifications", fail(404, pactum.ENOTFOUND, "Nothing here."))
	mux.HandleFunc("GET /api/v1/audit/events", fail(409, pactum.ECONFLICT, "Clash."))
	mux.HandleFunc("GET /api/v1/users", fail(400, pactum.EINVALID, "The filter is not valid.",
		pactum.FieldError{Field: "role", Message: "must be a role \x1b[31m"}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return map[string]string{"PACTUM_SERVER": srv.URL, "PACTUM_TOKEN": "pct_test"}
}

func TestUnknownSubcommand(t *testing.T) {
	for _, args := range [][]string{{"proposals", "lst"}, {"proposals", "lst", "--json"}, {"lst"}, {"allocations", "conditions", "lsit"}} {
		code, out, stderr := cli(t, nil, args...)
		if code != exitInvalid || out != "" || !strings.Contains(stderr, `unknown command "`+args[len(args)-1]) && !strings.Contains(stderr, `unknown command \"`) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	if _, _, stderr := cli(t, nil, "proposals", "lst"); !strings.Contains(stderr, "Did you mean this?\n\tlist") {
		t.Errorf("no suggestion: %s", stderr)
	}
	if _, _, stderr := cli(t, nil, "allocations", "conditions", "lsit"); !strings.Contains(stderr, "\tlist") {
		t.Errorf("no suggestion in a nested group: %s", stderr)
	}
	// A group alone prints its help and succeeds.
	if code, out, _ := cli(t, nil, "proposals"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("proposals alone: %d %s", code, out)
	}
	// Other usage errors are invalid input too.
	for _, args := range [][]string{{"proposals", "show"}, {"proposals", "list", "--bogus"}, {"init", "--data", t.TempDir()}} {
		if code, _, stderr := cli(t, nil, args...); code != exitInvalid {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
}

// TestExitStatuses: each class of error has its exit status, against a
// server answering every class, and offline.
func TestExitStatuses(t *testing.T) {
	env := fakeServer(t)
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"orgs", "list"}, exitOK},
		{[]string{"users", "list"}, exitInvalid},
		{[]string{"notifications", "list"}, exitNotFound},
		{[]string{"allocations", "list"}, exitDenied},
		{[]string{"me"}, exitDenied},
		{[]string{"audit", "events"}, exitConflict},
		{[]string{"proposals", "list"}, exitServer},
		{[]string{"calls", "list"}, exitServer},
		{[]string{"systems", "list"}, exitServer},
		{[]string{"audit", "keygen", "--out", t.TempDir() + "/no/such/dir/key"}, exitOther},
	} {
		if code, _, stderr := cli(t, env, c.args...); code != c.want {
			t.Errorf("%v: exit %d, want %d: %s", c.args, code, c.want, stderr)
		}
	}
	down := map[string]string{"PACTUM_SERVER": "http://127.0.0.1:1", "PACTUM_TOKEN": "pct_x"}
	if code, _, _ := cli(t, down, "orgs", "list"); code != exitServer {
		t.Errorf("no server: exit %d", code)
	}
	if code, _, _ := cli(t, map[string]string{"PACTUM_SERVER": env["PACTUM_SERVER"]}, "orgs", "list"); code != exitDenied {
		t.Errorf("no token: exit %d", code)
	}
	// --help documents every status.
	_, out, _ := cli(t, nil, "--help")
	for _, c := range exitClasses {
		if !strings.Contains(out, c.doc) {
			t.Errorf("--help does not explain exit status %d", c.status)
		}
	}
}

// TestJSONErrors: with --json, errors are JSON on standard error, in the
// API's error shape, escapes and all.
func TestJSONErrors(t *testing.T) {
	env := fakeServer(t)
	for _, c := range []struct {
		args   []string
		code   string
		fields int
	}{
		{[]string{"users", "list", "--json"}, pactum.EINVALID, 1},
		{[]string{"me", "--json"}, pactum.EFORBIDDEN, 0},
		{[]string{"systems", "list", "--json"}, pactum.EINTERNAL, 0},
		{[]string{"proposals", "lst", "--json"}, pactum.EINVALID, 0},
		{[]string{"proposals", "list", "--bogus", "--json"}, pactum.EINVALID, 0},
	} {
		code, out, stderr := cli(t, env, c.args...)
		var body struct{ Error pactum.Error }
		dec := json.NewDecoder(strings.NewReader(stderr))
		dec.DisallowUnknownFields()
		if code == 0 || out != "" || dec.Decode(&body) != nil || body.Error.Code != c.code || body.Error.Message == "" || len(body.Error.Fields) != c.fields {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, stderr)
		}
		if raw(stderr) {
			t.Errorf("%v: raw control characters on stderr: %q", c.args, stderr)
		}
	}
	_, _, stderr := cli(t, env, "me", "--json")
	var body struct{ Error pactum.Error }
	if json.Unmarshal([]byte(stderr), &body); !strings.Contains(body.Error.Message, evilName) {
		t.Errorf("the JSON error does not decode to the server's message: %q", body.Error.Message)
	}
}

// TestEscaping: what an applicant wrote reaches the screen escaped, in a
// table, a show view and an error message, and --json stays JSON that
// decodes to what they wrote.
func TestEscaping(t *testing.T) {
	env := fakeServer(t)
	for _, args := range [][]string{{"orgs", "list"}, {"orgs", "show", "x"}} {
		code, out, stderr := cli(t, env, args...)
		if code != 0 || raw(out) || !strings.Contains(out, evilEscaped) {
			t.Errorf("%v: exit %d %s\n%q", args, code, stderr, out)
		}
	}
	code, _, stderr := cli(t, env, "me")
	if code != exitDenied || raw(stderr) || !strings.Contains(stderr, evilEscaped) {
		t.Errorf("error message: %q", stderr)
	}
	code, _, stderr = cli(t, env, "users", "list")
	if code != exitInvalid || raw(stderr) || !strings.Contains(stderr, `role: must be a role \x1b[31m`) {
		t.Errorf("field error: %q", stderr)
	}
	code, out, _ := cli(t, env, "orgs", "show", "x", "--json")
	var org struct {
		LegalName string `json:"legal_name"`
	}
	if code != 0 || raw(out) || json.Unmarshal([]byte(out), &org) != nil || org.LegalName != evilName {
		t.Errorf("--json: %d %q", code, out)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode €":    "plain text, ünïcode €",
		"a\x1b[31mred":             `a\x1b[31mred`,
		"bell\x07 cr\r nul\x00":    `bell\x07 cr\x0d nul\x00`,
		"del\x7f c1\u0085\u009b":   `del\u007f c1\u0085\u009b`,
		"rtl\u202eabc\u2066\u200f": `rtl\u202eabc\u2066\u200f`,
		"bad\xffbyte":              `bad\xffbyte`,
		"real \ufffd stays":        "real \ufffd stays",
		"line\nbreak\ttab":         `line\x0abreak\x09tab`,
	} {
		if got := escape(in, false); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escape("line\nbreak\ttab\x1b", true); got != "line\nbreak\ttab\\x1b" {
		t.Errorf("escape with layout: %q", got)
	}
	// A writer sees a rune split across two writes whole.
	var b strings.Builder
	w := &safeWriter{w: &b}
	rtl := []byte("x\u202ey")
	w.Write(rtl[:2])
	w.Write(rtl[2:])
	w.Flush()
	if b.String() != `x\u202ey` {
		t.Errorf("split rune: %q", b.String())
	}
}

// TestTableWidth: with COLUMNS set, tables fit, ids are shortened to
// prefixes that still tell them apart, and long cells are cut with "…";
// --json keeps every character.
func TestTableWidth(t *testing.T) {
	env := fakeServer(t)
	env["COLUMNS"] = "70"
	code, out, _ := cli(t, env, "orgs", "list")
	if code != 0 {
		t.Fatal(code)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 70 {
			t.Errorf("line of %d characters: %q", n, line)
		}
	}
	// The ids share "01a23a4f-4301-7"; the shortest unique prefixes are
	// 16 characters long.
	for _, id := range []string{"01a23a4f-42df-74…", "01a23a4f-4301-7c…", "01a23a4f-4301-7e…"} {
		if !strings.Contains(out, id) {
			t.Errorf("id %s not in\n%s", id, out)
		}
	}
	if !strings.Contains(out, "Aleph Lingua GmbH, a") || strings.Contains(out, "indeed") {
		t.Errorf("long name not cut:\n%s", out)
	}
	code, out, _ = cli(t, env, "orgs", "list", "--json")
	if code != 0 || !strings.Contains(out, "01a23a4f-4301-7e11-9c2d-4b5a6e7f8091") || !strings.Contains(out, "indeed") {
		t.Errorf("--json shortened:\n%s", out)
	}
	// Without COLUMNS and not on a terminal, nothing is cut.
	delete(env, "COLUMNS")
	if _, out, _ := cli(t, env, "orgs", "list"); !strings.Contains(out, "indeed") || !strings.Contains(out, "01a23a4f-4301-7e11-9c2d-4b5a6e7f8091") {
		t.Errorf("piped table cut:\n%s", out)
	}
}

func TestFitTable(t *testing.T) {
	rows := [][]string{{"ID", "NAME", "N"}, {"0193a4b2-7c11-7000-8000-000000000001", "a name that is far too long", "1"}, {"-", "b", "2"}}
	fitTable(rows, 30)
	if w := tableWidth(colWidths(rows, 3)); w > 30 {
		t.Errorf("width %d: %q", w, rows)
	}
	if rows[1][0] != "0193a4b2…" || rows[2][0] != "-" || !strings.HasSuffix(rows[1][1], "…") || rows[1][2] != "1" {
		t.Errorf("fitted: %q", rows)
	}
	// Too narrow for the minimum widths: cut as far as they go.
	narrow := [][]string{{"AAAAAAAAAA", "BBBBBBBBBB"}}
	fitTable(narrow, 5)
	if narrow[0][0] != "AAAAA…" || narrow[0][1] != "BBBBB…" {
		t.Errorf("narrow: %q", narrow)
	}
}
