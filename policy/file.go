// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pactum/pactum"
)

// ScreeningFile is what `pactum screen FILE` reads: a proposal in the API's
// JSON schema with the organization it is for, and optionally the call and
// the systems catalogue (the access-mode and systems catalogues supply them
// when absent). A file holding a bare proposal, without the "proposal" key,
// is read as one; its organization must then come from elsewhere.
type ScreeningFile struct {
	Proposal     *pactum.Proposal     `json:"proposal"`
	Organization *pactum.Organization `json:"organization,omitempty"`
	Call         *pactum.Call         `json:"call,omitempty"`
	Systems      []*pactum.System     `json:"systems,omitempty"`
	// At is the decision date (YYYY-MM-DD or RFC 3339); empty means the
	// caller's choice, usually today.
	At string `json:"at,omitempty"`
}

// ReadScreeningFile decodes a screening file, JSON or YAML, rejecting
// unknown keys so a misspelt fact is not silently "no". Errors are EINVALID.
func ReadScreeningFile(r io.Reader) (*ScreeningFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if data, err = ToJSON(data); err != nil {
		return nil, err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "The file is not a JSON object: %v.", err)
	}
	f := &ScreeningFile{}
	if _, wrapped := probe["proposal"]; wrapped {
		err = decodeStrict(data, f)
	} else {
		f.Proposal = &pactum.Proposal{}
		err = decodeStrict(data, f.Proposal)
	}
	if err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "The file does not match the schema: %v.", err)
	}
	if f.Proposal == nil {
		return nil, pactum.Errorf(pactum.EINVALID, "The file's proposal is null.")
	}
	for i, s := range f.Systems {
		if s == nil {
			return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The file's systems catalogue has a null entry.",
				Fields: []pactum.FieldError{{Field: fmt.Sprintf("systems[%d]", i), Message: "must be a system, not null"}}}
		}
	}
	return f, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ParseAt parses a decision date: YYYY-MM-DD (midnight UTC) or RFC 3339.
func ParseAt(s string) (time.Time, error) {
	if d, err := pactum.ParseDate(s); err == nil {
		return d.Time(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, pactum.Errorf(pactum.EINVALID, "%q is not a date (YYYY-MM-DD) or time (RFC 3339).", s)
	}
	return t.UTC(), nil
}

// Input builds the screening input from the file, filling what it lacks
// from the arguments: org when the file has none, a call offering every
// mode in modes and every system when it has no call, and systems when it
// has no catalogue. at is used when the file names no date. The proposal
// is validated against the call and catalogue as the API would; the
// organization as at the decision date. Errors are EINVALID.
func (f *ScreeningFile) Input(org *pactum.Organization, modes []pactum.CallMode, systems []*pactum.System, at time.Time) (*pactum.ScreeningInput, error) {
	in := &pactum.ScreeningInput{Proposal: f.Proposal, Organization: f.Organization, Call: f.Call, At: at}
	if in.Organization == nil {
		in.Organization = org
	}
	if in.Organization == nil {
		return nil, pactum.Errorf(pactum.EINVALID, "No organization: add an \"organization\" object to the file or name one with --org.")
	}
	if f.At != "" {
		t, err := ParseAt(f.At)
		if err != nil {
			return nil, err
		}
		in.At = t
	}
	if len(f.Systems) > 0 {
		systems = f.Systems
	}
	in.Systems = make(map[string]*pactum.System, len(systems))
	ids := make([]string, 0, len(systems))
	for _, s := range systems {
		in.Systems[s.ID] = s
		ids = append(ids, s.ID)
	}
	if in.Call == nil {
		in.Call = &pactum.Call{ID: "catalogue", Title: "Access-mode catalogue", Modes: modes, SystemIDs: ids}
	}
	if err := in.Proposal.ValidateAgainst(in.Call, in.Systems); err != nil {
		return nil, fmt.Errorf("proposal: %w", err)
	}
	if err := in.Organization.Validate(in.At); err != nil {
		return nil, fmt.Errorf("organization: %w", err)
	}
	return in, nil
}
