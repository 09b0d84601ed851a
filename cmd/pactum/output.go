// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// apiClient returns a client for the server named by --server/PACTUM_SERVER,
// authenticating with --token/PACTUM_TOKEN.
func apiClient(cmd *cobra.Command, e *env) (*client.ClientWithResponses, error) {
	server, _ := cmd.Flags().GetString("server")
	if server == "" {
		server = e.getenv("PACTUM_SERVER")
	}
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	token, _ := cmd.Flags().GetString("token")
	if token == "" {
		token = e.getenv("PACTUM_TOKEN")
	}
	if token == "" {
		return nil, pactum.Errorf(pactum.EUNAUTHORIZED, "No API token: pass --token or set PACTUM_TOKEN (pactum init prints the first one).")
	}
	return client.New(server, token)
}

// call runs one API request for a command: it builds the client, sends the
// request, turns transport failures and error answers into messages, and
// prints the server's JSON with --json or hands the response to human for
// a table otherwise.
func call[R response](cmd *cobra.Command, e *env, send func(ctx context.Context, c *client.ClientWithResponses) (R, error), human func(R) error) error {
	c, err := apiClient(cmd, e)
	if err != nil {
		return err
	}
	resp, err := send(cmd.Context(), c)
	if err != nil {
		return netErr(err)
	}
	body := client.Body(resp)
	if err := ok(resp, body); err != nil {
		return err
	}
	if wantJSON(cmd) {
		return printJSON(e.stdout, body)
	}
	return human(resp)
}

// apiError is an error response from the server.
type apiError struct {
	status int
	body   pactum.Error
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.body.Message)
	for _, f := range e.body.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// response is what every generated response type offers.
type response interface{ StatusCode() int }

// netErr explains a transport error: the request never got an answer.
func netErr(err error) error {
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("the pactum server did not answer in time: %w", err)
	}
	return fmt.Errorf("cannot reach the pactum server: %w", err)
}

// ok turns a non-2xx response into an *apiError carrying the server's
// message and field errors.
func ok(resp response, body []byte) error {
	code := resp.StatusCode()
	if code >= 200 && code < 300 {
		return nil
	}
	var eb struct {
		Error pactum.Error `json:"error"`
	}
	if json.Unmarshal(body, &eb) != nil || eb.Error.Message == "" {
		eb.Error = pactum.Error{Code: "http", Message: fmt.Sprintf("The server answered %d: %s", code, strings.TrimSpace(string(body)))}
	}
	return &apiError{status: code, body: eb.Error}
}

// errorText is what the CLI prints for err.
func errorText(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	var pe *pactum.Error
	if errors.As(err, &pe) {
		s := pe.Message
		for _, f := range pe.Fields {
			s += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
		}
		return s
	}
	return err.Error()
}

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

// table prints rows under a header, aligned.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// keyValues prints a record as aligned "key: value" lines.
func keyValues(w io.Writer, kv [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], p[1])
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

func page(cmd *cobra.Command) (*int, *int) {
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
