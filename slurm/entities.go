// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"fmt"
	"slices"
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

// releaseUsers removes the user associations of account and every account
// beneath it on this cluster (only user only's, if only is set). A user whose
// default account is among them but who has other associations on this
// cluster gets one of those as default first, in name order: Slurm refuses
// to remove a user's default account, and a user left without one cannot
// submit with plain sbatch. A user pactum added to an existing login
// keeps the default it had, since adding an association does not change
// it. A user whose last association goes is removed by Slurm.
func (c *Client) releaseUsers(ctx context.Context, account, only string) error {
	as, err := c.Associations(ctx, account)
	if err != nil {
		return err
	}
	subtree, users := map[string]bool{}, map[string][]string{}
	for _, a := range as {
		subtree[a.Account] = true
		if a.User != "" && (only == "" || a.User == only) {
			users[a.User] = append(users[a.User], a.Account)
		}
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	slices.Sort(names)
	for _, u := range names {
		if err := c.moveDefault(ctx, u, subtree, users[u]); err != nil {
			return err
		}
		for _, a := range users[u] {
			if _, err := c.sacctmgr(ctx, "remove", "user", "where", "name="+u, "cluster="+c.Cluster, "account="+a); err != nil {
				return fmt.Errorf("remove user %s from account %s: %w", u, a, err)
			}
		}
	}
	return nil
}

// moveDefault gives user another default account when the current one is
// among those leaving, if it has another association.
func (c *Client) moveDefault(ctx context.Context, user string, subtree map[string]bool, leaving []string) error {
	out, err := output(ctx, c.Runner, "sacctmgr", "show", "user", "withassoc", "where", "name="+user, "cluster="+c.Cluster,
		"format=DefaultAccount,Account", "--parsable2", "--noheader")
	if err != nil {
		return fmt.Errorf("show user %s: %w", user, err)
	}
	def, others := "", []string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		d, a, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		def = d
		if !slices.Contains(leaving, a) && a != "" {
			others = append(others, a)
		}
	}
	if !slices.Contains(leaving, def) || len(others) == 0 {
		return nil
	}
	slices.Sort(others)
	if _, err := c.sacctmgr(ctx, "modify", "user", "where", "name="+user, "cluster="+c.Cluster, "set", "defaultaccount="+others[0]); err != nil {
		return fmt.Errorf("move the default account of %s to %s: %w", user, others[0], err)
	}
	return nil
}
