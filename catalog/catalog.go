// SPDX-License-Identifier: EUPL-1.2

// Package catalog holds the scheme's reference data as embedded files: the
// EuroHPC AI systems, the default terms of each access mode and the default
// peer-review rubric. It is data, not code: change the JSON, not Go, when a
// machine, a cap or a criterion changes.
package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/pactum/pactum"
)

//go:embed systems.json
var systemsJSON []byte

//go:embed modes.json
var modesJSON []byte

//go:embed rubric.json
var rubricJSON []byte

//go:embed obligations.json
var obligationsJSON []byte

// Systems returns a fresh copy of the systems catalogue, validated.
func Systems() ([]*pactum.System, error) {
	var doc struct {
		Systems []*pactum.System `json:"systems"`
	}
	if err := decodeLenient(systemsJSON, &doc); err != nil {
		return nil, fmt.Errorf("catalog: systems.json: %w", err)
	}
	seen := map[string]bool{}
	for i, s := range doc.Systems {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("catalog: systems.json entry %d (%s): %w", i, s.ID, err)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("catalog: systems.json: duplicate id %q", s.ID)
		}
		seen[s.ID] = true
	}
	return doc.Systems, nil
}

// Modes returns a fresh copy of the default access-mode terms, validated, in
// the order of pactum.AccessModes.
func Modes() ([]pactum.CallMode, error) {
	var doc struct {
		Modes []pactum.CallMode `json:"modes"`
	}
	if err := decodeLenient(modesJSON, &doc); err != nil {
		return nil, fmt.Errorf("catalog: modes.json: %w", err)
	}
	byMode := map[pactum.AccessMode]pactum.CallMode{}
	for i := range doc.Modes {
		m := doc.Modes[i]
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("catalog: modes.json entry %d (%s): %w", i, m.Mode, err)
		}
		byMode[m.Mode] = m
	}
	out := make([]pactum.CallMode, 0, len(pactum.AccessModes))
	for _, m := range pactum.AccessModes {
		cm, ok := byMode[m]
		if !ok {
			return nil, fmt.Errorf("catalog: modes.json lacks mode %q", m)
		}
		out = append(out, cm)
	}
	return out, nil
}

// Mode returns the default terms of access mode m.
func Mode(m pactum.AccessMode) (pactum.CallMode, error) {
	modes, err := Modes()
	if err != nil {
		return pactum.CallMode{}, err
	}
	for _, x := range modes {
		if x.Mode == m {
			return x, nil
		}
	}
	return pactum.CallMode{}, pactum.Errorf(pactum.EINVALID, "Unknown access mode %q.", m)
}

// Obligations returns a fresh copy of the access modes' obligation terms,
// validated.
func Obligations() (*pactum.ObligationTerms, error) { return ParseObligations(obligationsJSON) }

// ParseObligations decodes and validates obligation terms in the format of
// obligations.json (an operator's own file): unknown keys other than
// "_comment" notes are errors, and every problem is named by its field.
func ParseObligations(data []byte) (*pactum.ObligationTerms, error) {
	var t pactum.ObligationTerms
	if err := decodeLenient(data, &t); err != nil {
		return nil, fmt.Errorf("obligation terms: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Rubric returns a fresh copy of the default peer-review rubric, validated.
func Rubric() (*pactum.Rubric, error) {
	var doc struct {
		Rubric *pactum.Rubric `json:"rubric"`
	}
	if err := decodeLenient(rubricJSON, &doc); err != nil {
		return nil, fmt.Errorf("catalog: rubric.json: %w", err)
	}
	if doc.Rubric == nil {
		return nil, fmt.Errorf("catalog: rubric.json has no rubric")
	}
	if err := doc.Rubric.Validate(); err != nil {
		return nil, fmt.Errorf("catalog: rubric.json: %w", err)
	}
	return doc.Rubric, nil
}

// decodeLenient decodes the data files, which carry "_comment" and
// "_assumption" keys for their readers; every other unknown key is an error,
// so a misspelt field cannot silently fall back to zero.
func decodeLenient(data []byte, v any) error {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	stripNotes(raw)
	clean, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func stripNotes(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if len(k) > 0 && k[0] == '_' {
				delete(x, k)
				continue
			}
			stripNotes(e)
		}
	case []any:
		for _, e := range x {
			stripNotes(e)
		}
	}
}

//go:embed notify.json
var notifyJSON []byte

// NotifyTemplates returns the embedded e-mail templates of notifications,
// compiled.
func NotifyTemplates() (*pactum.NotifyTemplates, error) {
	t, err := ParseNotifyTemplates(notifyJSON)
	if err != nil {
		return nil, fmt.Errorf("catalog: notify.json: %w", err)
	}
	return t, nil
}

// ParseNotifyTemplates reads and compiles notification templates in the
// format of the embedded catalog/notify.json.
func ParseNotifyTemplates(data []byte) (*pactum.NotifyTemplates, error) {
	var t pactum.NotifyTemplates
	if err := decodeLenient(data, &t); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "notification templates: %v", err)
	}
	if err := t.Compile(); err != nil {
		return nil, err
	}
	return &t, nil
}
