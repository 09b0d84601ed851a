// SPDX-License-Identifier: EUPL-1.2

package sqlstore

// Building and running list queries: WHERE clauses with $N placeholders,
// paging, visibility scopes, and the helpers that scan a list.

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/pactum/pactum"
)

// limit normalises a page size: default 100, at most 1000.
func limit(n int) int {
	if n <= 0 {
		return 100
	}
	if n > 1000 {
		return 1000
	}
	return n
}

// where builds a WHERE clause from conditions with $N placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args))))
}

// addEach adds a condition whose placeholders take args in order.
func (w *where) addEach(cond string, args ...any) {
	var b strings.Builder
	for _, arg := range args {
		i := strings.IndexByte(cond, '?')
		if i < 0 {
			break
		}
		w.args = append(w.args, arg)
		fmt.Fprintf(&b, "%s$%d", cond[:i], len(w.args))
		cond = cond[i+1:]
	}
	b.WriteString(cond)
	w.conds = append(w.conds, b.String())
}

// addIn adds "column IN (…)" with a placeholder for each of values.
func (w *where) addIn(column string, values ...any) {
	w.addEach(column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")+")", values...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page appends LIMIT and OFFSET placeholders.
func (w *where) page(l, offset int) string {
	w.args = append(w.args, limit(l), max(offset, 0))
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(w.args)-1, len(w.args))
}

// listCounted returns one page of selectQuery (SELECT columns FROM …)
// filtered by w and sorted by order, and how many rows match w in all,
// counted by a query of its own over the same FROM: COUNT(*) OVER ()
// beside wide rows (a proposal's content, an event's snapshots) made
// SQLite read every match's columns to count them, tens of milliseconds
// per thousand rows, where a count reads an index. The count is also
// right for a page past the end, which has no row to carry it.
func listCounted[T any](ctx context.Context, q querier, what, selectQuery string, w *where, order string, l, offset int,
	scan func(scanner, ...any) (T, error)) ([]T, int, error) {
	loc := fromClause.FindStringIndex(selectQuery)
	if loc == nil {
		return nil, 0, fmt.Errorf("%s: no FROM in the query", what)
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*)`+selectQuery[loc[0]:]+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("%s: count: %w", what, err)
	}
	out, err := listAll(ctx, q, what, selectQuery+w.String()+` ORDER BY `+order+w.page(l, offset), w.args, scan)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// fromClause finds a list query's FROM (its columns hold no subquery).
var fromClause = regexp.MustCompile(`\sFROM\s`)

// listAll runs a query and scans every row with scan, returning them all
// (never nil). what names the list in errors.
func listAll[T any](ctx context.Context, q querier, what, query string, args []any, scan func(scanner, ...any) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: scan: %w", what, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// scopeConds are the conditions a list applies for each field of a
// pactum.Scope, SQL with ? standing for the field's value; "" where the
// list has no such condition.
type scopeConds struct {
	organization, user, reviewer, site, disclosed string
}

// scope adds s's conditions to the query and reports whether it can return
// anything: not for the empty scope, nor for a scope with a field the list
// cannot apply, so that a mistake fails closed.
func (w *where) scope(s pactum.Scope, c scopeConds) bool {
	if s.All {
		return true
	}
	if s.Empty() {
		return false
	}
	for _, f := range []struct{ v, cond string }{{s.OrganizationID, c.organization}, {s.UserID, c.user}, {s.ReviewerID, c.reviewer}, {s.Site, c.site}, {s.DisclosedTo, c.disclosed}} {
		if f.v == "" {
			continue
		}
		if f.cond == "" {
			return false
		}
		w.add(f.cond, f.v)
	}
	return true
}
