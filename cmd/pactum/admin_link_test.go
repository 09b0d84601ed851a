// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	pactumhttp "github.com/pactum/pactum/http"
)

// TestAdminSignInLink: the operator makes a one-time link offline for a
// server without an identity provider; its button signs the browser in to
// the portal as that user, once; an unknown e-mail is exit 3 and an
// address other than https or the loopback exit 2.
func TestAdminSignInLink(t *testing.T) {
	dir := t.TempDir()
	initOnce(t, dir)
	srv := serveData(t, dir)
	if code, _, stderr := cli(t, nil, "admin", "sign-in-link", "--data", dir, "--email", "nobody@example.org", "--url", srv); code != exitNotFound {
		t.Errorf("unknown e-mail: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, nil, "admin", "sign-in-link", "--data", dir, "--email", "mara@eurohpc.example", "--url", "http://pactum.example"); code != exitInvalid || !strings.Contains(stderr, "--url") {
		t.Errorf("plain http: %d %s", code, stderr)
	}
	var made struct {
		URL string `json:"url"`
	}
	cliJSON(t, nil, &made, "admin", "sign-in-link", "--data", dir, "--email", "mara@eurohpc.example", "--url", srv, "--json")
	u, err := url.Parse(made.URL)
	if err != nil || !strings.HasPrefix(made.URL, srv+"/auth/link?code=pactum_link_") {
		t.Fatalf("link %q %v", made.URL, err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	use := func() *http.Response {
		resp, err := c.PostForm(srv+"/auth/link", url.Values{"code": {u.Query().Get("code")}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := use()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == pactumhttp.SessionCookie {
			session = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("use the link: %d %v", resp.StatusCode, resp.Cookies())
	}
	req, _ := http.NewRequest("GET", srv+"/portal/", nil)
	req.AddCookie(session)
	page, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(body), "access manager") {
		t.Errorf("portal with the link's session: %d %s", page.StatusCode, body)
	}
	if resp := use(); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the link twice: %d", resp.StatusCode)
	}
}
