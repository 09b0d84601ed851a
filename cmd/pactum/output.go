// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// jsonFlag adds --json to a read command.
func jsonFlag(cmd *cobra.Command) {
	cmd.Flags().Bool("json", false, "print JSON (the API's own representation) instead of a table")
}

func wantJSON(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("json")
	return v
}

// printJSON writes the server's JSON body, indented, unchanged otherwise.
func printJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		_, err = w.Write(body)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// writeJSONValue writes v as indented JSON.
func writeJSONValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under a header, aligned, every cell escaped (a newline
// or tab in a cell would break the table) and the table fitted to e.width
// (see fitTable).
func (e *env) table(header []string, rows [][]string) error {
	all := make([][]string, 0, len(rows)+1)
	for _, r := range append([][]string{header}, rows...) {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = escape(c, false)
		}
		all = append(all, cells)
	}
	fitTable(all, e.width)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, tablePad, ' ', 0)
	for _, r := range all {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// keyValues prints a record as aligned "key: value" lines, each value
// escaped whole (a newline in a value would start a line of its own).
func keyValues(w io.Writer, kv [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], escape(p[1], false))
	}
	return tw.Flush()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}

func str(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// fmtNum prints an amount with thousands separators and no needless
// decimals: 20000 → 20,000; 1500.5 → 1,500.5.
func fmtNum(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// pageFlags adds --limit and --offset to a list command.
func pageFlags(cmd *cobra.Command) {
	cmd.Flags().Int("limit", 100, "page size (at most 1000)")
	cmd.Flags().Int("offset", 0, "skip this many items")
}

// pageParams returns --limit and --offset, for a list request.
func pageParams(cmd *cobra.Command) (*int, *int) {
	l, _ := cmd.Flags().GetInt("limit")
	o, _ := cmd.Flags().GetInt("offset")
	return &l, &o
}

// optString returns a pointer to the flag's value when it was set.
func optString(cmd *cobra.Command, name string) *string {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	v, _ := cmd.Flags().GetString(name)
	return &v
}

// footer prints "showing n of total" when a list is paged.
func footer(w io.Writer, n, total int) {
	if total > n {
		fmt.Fprintf(w, "(showing %d of %d; use --limit and --offset for more)\n", n, total)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// joinComma renders a list or "-".
func joinComma(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func fmtPct(x float64) string { return strconv.FormatFloat(100*x, 'f', 3, 64) + " %" }

func unitShort(u string) string {
	switch u {
	case "gpu_hours":
		return "GPU-h"
	case "node_hours":
		return "node-h"
	}
	return u
}

// deref returns the list an optional field of a generated type points to.
func deref[T any](s *[]T) []T {
	if s == nil {
		return nil
	}
	return *s
}
