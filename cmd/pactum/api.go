// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	key, _ := cmd.Flags().GetString("idempotency-key")
	if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	return client.NewIdempotent(server, token, key)
}

// checkIdempotencyKey refuses a key the server would refuse, before
// anything is sent.
func checkIdempotencyKey(key string) error {
	if len(key) > 255 {
		return pactum.Errorf(pactum.EINVALID, "--idempotency-key: at most 255 characters")
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return pactum.Errorf(pactum.EINVALID, "--idempotency-key: printable ASCII without spaces only (e.g. a UUID)")
		}
	}
	return nil
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

// called turns a generated client call's outcome into an error: a transport
// failure (netErr, when resp is nil) or a non-2xx answer (ok, with the
// server's message from the response's Body field).
func called(resp response, err error) error {
	if err != nil {
		return netErr(err)
	}
	return ok(resp, client.Body(resp))
}

// fetch sends a command's request; cmd carries its flags and args its
// arguments.
type fetch[R response] func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, args []string) (R, error)

// byID is the fetch that calls get, a generated method such as
// (*client.ClientWithResponses).GetCallWithResponse, with the command's
// first argument as the ID.
func byID[R response](get func(*client.ClientWithResponses, context.Context, string, ...client.RequestEditorFn) (R, error)) fetch[R] {
	return func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, args []string) (R, error) {
		return get(c, ctx, args[0])
	}
}

// requestCmd completes cmd as a command that sends one request with send
// and prints the answer with print (a show command's key-value lines, an
// action's result), or the server's JSON with --json. List commands are
// built on it by listCmd.
func requestCmd[R response](e *env, cmd *cobra.Command, send fetch[R], print func(R) error) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (R, error) {
			return send(ctx, c, cmd, args)
		}, print)
	}
	jsonFlag(cmd)
	return cmd
}

// listing is how a list command fetches and prints its items.
type listing[R response, T any] struct {
	send fetch[R]
	// page returns the items of the answer and how many there are in all.
	page func(R) ([]T, int)
	// cols prints the items as a table or, when block is set, each item
	// is a block of lines, blank lines between, and empty is printed when
	// there is none at all.
	cols  columns[T]
	block func(T) error
	empty string
	// paged adds --limit and --offset, and the footer that says when more
	// items than shown exist.
	paged bool
}

// listCmd completes cmd as a list command: it fetches a page with l.send
// and prints it as l says, or the server's JSON with --json.
func listCmd[R response, T any](e *env, cmd *cobra.Command, l listing[R, T]) *cobra.Command {
	if l.paged {
		pageFlags(cmd)
	}
	return requestCmd(e, cmd, l.send, func(resp R) error {
		items, total := l.page(resp)
		if err := l.print(e, items, total); err != nil {
			return err
		}
		if l.paged {
			footer(e.stdout, len(items), total)
		}
		return nil
	})
}

func (l listing[R, T]) print(e *env, items []T, total int) error {
	if l.block == nil {
		return l.cols.print(e, items)
	}
	for i, it := range items {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if err := l.block(it); err != nil {
			return err
		}
	}
	if total == 0 {
		fmt.Fprintln(e.stdout, l.empty)
	}
	return nil
}

// columns is a table of Ts: its header and each item's row.
type columns[T any] struct {
	header []string
	row    func(T) []string
}

func (c columns[T]) print(e *env, items []T) error {
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, c.row(it))
	}
	return e.table(c.header, rows)
}

// apiError is an error response from the server.
type apiError struct {
	status int
	body   pactum.Error
	// requestID is the server's ID of the request, shown with server
	// errors for the user to quote to the operator.
	requestID string
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.body.Message)
	if e.status >= 500 && e.requestID != "" {
		fmt.Fprintf(&b, " (request ID %s: quote it to the server's operator)", e.requestID)
	}
	for _, f := range e.body.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// response is what every generated response type offers.
type response interface{ StatusCode() int }

// transportError is a request that never got an answer.
type transportError struct{ error }

// netErr explains a transport error: the request never got an answer. An
// error already explained (an answer's, a transport's, or one of pactum's
// own) is returned as it is, so that what a request function checks or
// asks before its main request keeps its message.
func netErr(err error) error {
	var te transportError
	var ae *apiError
	var pe *pactum.Error
	if errors.As(err, &te) || errors.As(err, &ae) || errors.As(err, &pe) {
		return err
	}
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return transportError{fmt.Errorf("the pactum server did not answer in time: %w", err)}
	}
	return transportError{fmt.Errorf("cannot reach the pactum server: %w", err)}
}

// ok turns a non-2xx response into an *apiError carrying the server's
// message and field errors.
func ok(resp response, body []byte) error {
	code := resp.StatusCode()
	if code >= 200 && code < 300 {
		return nil
	}
	pe := client.ToError(body)
	if pe == nil {
		pe = &pactum.Error{Code: "http", Message: fmt.Sprintf("The server answered %d: %s", code, strings.TrimSpace(string(body)))}
	}
	var withID struct {
		Error struct {
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &withID)
	return &apiError{status: code, body: *pe, requestID: withID.Error.RequestID}
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
