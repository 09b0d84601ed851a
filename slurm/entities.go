// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"fmt"
	"strings"

	pactum "github.com/pactum/pactum"
)

// Slurm keeps an account's name, description and organization once per
// slurmdbd, shared by every cluster it serves; only associations (the
// account's place in a cluster's tree, its limits and users) belong to a
// cluster. So the reads here list account entities by name, not by
// cluster: the cluster is named by the association queries that decide
// which names are looked at.

// Accounts implements Accounting.
func (c *Client) Accounts(ctx context.Context, parent string) ([]Account, error) {
	as, err := c.Associations(ctx, parent)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range as {
		if a.User == "" {
			names = append(names, a.Account)
		}
	}
	info, err := c.entities(ctx, names)
	if err != nil {
		return nil, err
	}
	accts := []Account{}
	for _, a := range as {
		if a.User != "" {
			continue
		}
		i := info[a.Account]
		accts = append(accts, Account{Name: a.Account, Parent: a.Parent, Description: i[0], Organization: i[1]})
	}
	return accts, nil
}

// entities returns the description and organization of each named account
// that exists in slurmdbd, asking for at most 100 names at a time.
func (c *Client) entities(ctx context.Context, names []string) (map[string][2]string, error) {
	info := map[string][2]string{}
	for len(names) > 0 {
		n := min(len(names), 100)
		chunk := names[:n]
		names = names[n:]
		args := []string{"show", "account", "where", "name=" + strings.Join(chunk, ","), "format=Account,Description,Organization", "--parsable2", "--noheader"}
		out, err := output(ctx, c.Runner, "sacctmgr", args...)
		if err != nil {
			return nil, fmt.Errorf("show accounts: %w", err)
		}
		for n, line := range strings.Split(string(out), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			f := strings.Split(line, "|")
			if len(f) != 3 {
				return nil, fmt.Errorf("show accounts: line %d: %d fields, want 3: %q", n+1, len(f), line)
			}
			info[f[0]] = [2]string{f[1], f[2]}
		}
	}
	return info, nil
}

// checkEntity returns ECONFLICT if an account entity called name exists
// (on any cluster of the slurmdbd) without the mark that description
// starts with: adding it to this cluster would give pactum an association
// of an account it does not own. A description without a mark skips the
// check (Plan always gives one).
func (c *Client) checkEntity(ctx context.Context, name, description string) error {
	mark, _, _ := strings.Cut(description, " ")
	if !ValidMark(mark) {
		return nil
	}
	info, err := c.entities(ctx, []string{name})
	if err != nil {
		return err
	}
	if i, ok := info[name]; ok && !Owned(i[0], mark) {
		return pactum.Errorf(pactum.ECONFLICT, "Slurm account %s already exists with description %q, without pactum's mark %s: it is not pactum's, so pactum will not use it.", name, i[0], mark)
	}
	return nil
}
