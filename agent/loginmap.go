// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"bufio"
	"io"
	"strings"
	"unicode"

	"github.com/pactum/pactum"
)

// ParseLoginMap reads the site's login map: one "USERNAME LOGIN" pair a
// line (pactum's username, then the login the site gives that person),
// blank lines and lines starting with # ignored. The site, not the access
// manager, decides which login a person gets at the site. Two people may
// not share a login (their usage would mix), nor one person have two.
// EINVALID naming the line otherwise.
func ParseLoginMap(r io.Reader) (map[string]string, error) {
	m, logins := map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		bad := func(msg string) error {
			return pactum.Errorf(pactum.EINVALID, "login map line %d: %s", n, msg)
		}
		switch {
		case len(f) != 2:
			return nil, bad("want two words, USERNAME LOGIN")
		case !plainName(f[0]) || !plainName(f[1]):
			return nil, bad("names are letters, digits, '.', '_' and '-' (at most 64)")
		case m[f[0]] != "":
			return nil, bad("username " + f[0] + " is mapped twice")
		case logins[f[1]] != "":
			return nil, bad("login " + f[1] + " is already given to " + logins[f[1]])
		}
		m[f[0]], logins[f[1]] = f[1], f[0]
	}
	if err := sc.Err(); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "login map: %v", err)
	}
	return m, nil
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}

// siteLogin is the login the site gives pactum's username, and whether it
// gives one: with no login map the username is the login.
func (a *Agent) siteLogin(username string) (string, bool) {
	if a.cfg.LoginMap == nil {
		return username, true
	}
	login, ok := a.cfg.LoginMap[username]
	return login, ok
}

// pactumUsername is the username whose site login is login, for usage
// records: the server attributes usage to its own usernames. It runs per
// usage record, hence the inverted map built once in New.
func (a *Agent) pactumUsername(login string) string {
	if u, ok := a.usernames[login]; ok {
		return u
	}
	return login
}

// invert maps a login map's logins back to usernames (ParseLoginMap
// guarantees one username per login).
func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for u, l := range m {
		out[l] = u
	}
	return out
}
