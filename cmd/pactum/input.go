// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pactum/pactum"
)

// readFile reads path, "-" for standard input.
func readFile(e *env, path string) ([]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// readJSONFile reads a JSON document from path ("-" for stdin) and checks
// that it is JSON; the server validates its content.
func readJSONFile(e *env, path string) ([]byte, error) {
	data, err := readFile(e, path)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, pactum.Errorf(pactum.EINVALID, "%s is not valid JSON: %v", path, err)
	}
	return bytes.TrimSpace(data), nil
}

// readTextFile reads a text file, "-" for standard input.
func readTextFile(e *env, path string) (string, error) {
	b, err := readFile(e, path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// parseTime accepts a date (midnight UTC) or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("use YYYY-MM-DD or RFC 3339 (2026-12-31T12:00:00Z)")
	}
	return t.UTC(), nil
}
