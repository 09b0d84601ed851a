// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// escape returns s with every character that could command a terminal or
// reorder what it shows made visible: C0 controls as \x1b, and DEL, C1
// controls, bidirectional controls (U+202E and kin) and the Unicode line
// separators as \u202e; bytes that are not UTF-8 as \xff. Applicants write
// the titles, names and texts that access managers read; unescaped, a title
// could clear their screen, rewrite earlier lines or set the terminal's
// title. With layout, newlines and tabs are kept: the CLI's own line and
// column breaks. The \u forms are also JSON's own escapes, so JSON output
// stays valid JSON (encoding/json escapes C0 but leaves DEL, C1 and U+202E
// raw).
func escape(s string, layout bool) string {
	i := strings.IndexFunc(s, func(r rune) bool { return needsEscape(r, layout) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == utf8.RuneError || !needsEscape(r, layout):
			b.WriteString(s[i : i+size])
		case r < 0x20:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether escape changes r (utf8.RuneError stands for
// a byte that is not UTF-8; a literal U+FFFD is left alone by escape).
func needsEscape(r rune, layout bool) bool {
	switch {
	case layout && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == utf8.RuneError:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional marks, embeddings, overrides and isolates
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// safeWriter escapes (with layout) everything written through it: the
// CLI's standard output and error pass through one, so that no output path
// can forget. It holds back an incomplete UTF-8 sequence at the end of a
// write until the next one completes it (or Flush), and is safe for
// concurrent use (the server's log and its banner share standard error).
type safeWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

func (s *safeWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := p
	if len(s.pending) > 0 {
		buf = append(s.pending, p...)
		s.pending = nil
	}
	cut := len(buf)
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	s.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(s.w, escape(string(buf[:cut]), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held back, escaped.
func (s *safeWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, escape(string(s.pending), true))
	s.pending = nil
	return err
}
