// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"strings"

	pactum "github.com/pactum/pactum"
)

// MaxNameLen bounds account and user names. Slurm itself has no small limit,
// but the names end up in squeue columns, logs and the accounting database's
// keys, and pactum derives them from short IDs.
const MaxNameLen = 64

// ValidAccountName reports whether s is an account name that Slurm stores
// as given: lower-case ASCII letters, digits, '_' and '-', starting with a
// letter or digit, at most MaxNameLen bytes. Slurm would silently
// lower-case upper-case letters, and characters such as ',', '|', '=' or
// spaces break sacctmgr's syntax or its --parsable2 output.
func ValidAccountName(s string) bool {
	if s == "" || len(s) > MaxNameLen || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// ValidUserName reports whether s is a portable POSIX user name as Slurm
// expects it (lower-case, starting with a letter or '_', then letters,
// digits, '_', '-' or '.', at most 32 bytes).
func ValidUserName(s string) bool {
	if s == "" || len(s) > 32 || !(lower(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// ValidTRESName reports whether s names a TRES that GrpTRESMins accepts:
// one of Slurm's built-in types (cpu, mem, node, billing, energy, vmem,
// pages, fs/disk) or a typed one such as gres/gpu, gres/gpu:a100,
// license/matlab or bb/datawarp. Slurm rejects the whole command for an
// unknown TRES, so the check keeps one bad key from blocking an account.
func ValidTRESName(s string) bool {
	switch s {
	case "cpu", "mem", "node", "billing", "energy", "vmem", "pages", "fs/disk":
		return true
	}
	typ, name, ok := strings.Cut(s, "/")
	if !ok || (typ != "gres" && typ != "license" && typ != "bb") {
		return false
	}
	base, sub, typed := strings.Cut(name, ":")
	if !token(base) || (typed && !token(sub)) {
		return false
	}
	return true
}

func token(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func lower(c byte) bool { return c >= 'a' && c <= 'z' }
func alnum(c byte) bool { return lower(c) || (c >= '0' && c <= '9') }

// CleanText turns free text (an organization's name, an allocation's title)
// into what Slurm will store for an account's Description or Organization,
// so that comparing the two does not report drift forever: ASCII letters
// are lower-cased (Slurm does that; it leaves other bytes alone), characters
// that break sacctmgr's syntax or --parsable2 output (| " ' = , and control
// characters) become spaces, runs of spaces collapse, and the result is cut
// to 128 bytes on a character boundary.
func CleanText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || r == '|' || r == '"' || r == '\'' || r == '=' || r == ',' || r == ' ':
			space = b.Len() > 0
			continue
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		if space {
			if b.Len()+1 > 128 {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+len(string(r)) > 128 {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkAccount returns EINVALID unless name is a valid account name.
func checkAccount(name string) error {
	if !ValidAccountName(name) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a valid Slurm account name (lower-case letters, digits, '_' and '-', at most %d).", name, MaxNameLen)
	}
	return nil
}

// checkUser returns EINVALID unless name is a valid user name.
func checkUser(name string) error {
	if !ValidUserName(name) {
		return pactum.Errorf(pactum.EINVALID, "%q is not a valid user name.", name)
	}
	return nil
}

// Mark returns pactum's mark for a site, as Slurm stores it: "pactum:" and
// the site, e.g. "pactum:csc". It names the site only: Slurm keeps an
// account's description once for every cluster of its slurmdbd, and an
// organization's account is shared by the site's clusters; which cluster
// an account is on is its association, which every command names.
func Mark(site string) string { return CleanText("pactum:" + strings.ReplaceAll(site, " ", "-")) }

// ValidMark reports whether s is a mark Mark can return.
func ValidMark(s string) bool {
	return strings.HasPrefix(s, "pactum:") && len(s) > len("pactum:") && !strings.ContainsAny(s, " ") && s == CleanText(s)
}

// Marked returns the description pactum gives an account: its mark, then
// text, as Slurm stores it.
func Marked(mark, text string) string { return CleanText(mark + " " + text) }

// Owned reports whether an account's description (as Slurm stores it)
// carries mark: it is pactum's, for that site.
func Owned(description, mark string) bool {
	return mark != "" && (description == mark || strings.HasPrefix(description, mark+" "))
}
