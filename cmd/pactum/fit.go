// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

const (
	tablePad  = 2 // spaces between a table's columns
	minColumn = 6 // fitTable cuts no column narrower (with its "…")
	minIDLen  = 8 // nor an id shorter
)

// termWidth is how wide tables may be: $COLUMNS when set (0: no limit),
// else 80 when standard output is a terminal, else no limit, so that a
// table piped into another program keeps every character. (The terminal's
// real size would need golang.org/x/term, which is not a dependency; shells
// set COLUMNS, and export it with "export COLUMNS".)
func termWidth(stdout io.Writer, getenv func(string) string) int {
	if v := getenv("COLUMNS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	if isTerminal(stdout) {
		return 80
	}
	return 0
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// fitTable shortens the cells of rows (the header first, then the rows)
// so that the table is at most width characters wide; width 0 is no limit.
// First, columns of ids (UUIDs) are cut to the shortest prefix, at least 8
// characters, that still tells apart every id in the column, and marked
// with "…"; then, while the table is still too wide, its widest column
// loses a character, its cells cut with "…". Only human tables are
// fitted: --json prints whole ids.
func fitTable(rows [][]string, width int) {
	if width <= 0 || len(rows) == 0 {
		return
	}
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	widths := colWidths(rows, ncol)
	if tableWidth(widths) <= width {
		return
	}
	for c := range ncol {
		shortenIDs(rows[1:], c)
	}
	widths = colWidths(rows, ncol)
	for over := tableWidth(widths) - width; over > 0; over-- {
		w := 0
		for c := range widths {
			if widths[c] >= widths[w] {
				w = c
			}
		}
		if widths[w] <= minColumn {
			break
		}
		widths[w]--
	}
	for _, r := range rows {
		for c := range r {
			r[c] = cut(r[c], widths[c])
		}
	}
}

func colWidths(rows [][]string, ncol int) []int {
	w := make([]int, ncol)
	for _, r := range rows {
		for c, cell := range r {
			w[c] = max(w[c], utf8.RuneCountInString(cell))
		}
	}
	return w
}

func tableWidth(widths []int) int {
	n := tablePad * max(len(widths)-1, 0)
	for _, w := range widths {
		n += w
	}
	return n
}

// cut returns s cut to n characters, the last one "…", when longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// shortenIDs cuts column c of rows to the shortest unambiguous prefix of
// its ids, when every cell of it is an id or "-".
func shortenIDs(rows [][]string, c int) {
	ids := map[string]bool{}
	for _, r := range rows {
		if c >= len(r) || r[c] == "-" || r[c] == "" {
			continue
		}
		if !isUUID(r[c]) {
			return
		}
		ids[r[c]] = true
	}
	if len(ids) == 0 {
		return
	}
	n := minIDLen
	for ; n < 36; n++ {
		seen := map[string]bool{}
		unique := true
		for id := range ids {
			if seen[id[:n]] {
				unique = false
				break
			}
			seen[id[:n]] = true
		}
		if unique {
			break
		}
	}
	if id := r0(ids); id[n-1] == '-' {
		n++ // no prefix ends in a hyphen
	}
	if n+1 >= 36 {
		return
	}
	for _, r := range rows {
		if c < len(r) && ids[r[c]] {
			r[c] = r[c][:n] + "…"
		}
	}
}

// r0 returns one of the ids.
func r0(ids map[string]bool) string {
	for id := range ids {
		return id
	}
	return ""
}

// isUUID reports whether s is a UUID in its canonical text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
