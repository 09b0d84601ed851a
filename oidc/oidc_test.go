// SPDX-License-Identifier: EUPL-1.2

package oidc_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/oidc"
)

func claims(t testing.TB, s string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMapClaims(t *testing.T) {
	const iss = "https://proxy.myaccessid.org"
	id, err := oidc.MapClaims(iss, claims(t, `{"sub":"0a1b@myaccessid.org","email":"ada@aleph.example","email_verified":true,
		"given_name":"Ada","family_name":"Aleph","acr":"https://refeds.org/profile/mfa",
		"eduperson_assurance":["https://refeds.org/assurance/IAP/medium","https://refeds.org/assurance/ID/unique"]}`), oidc.DefaultAssuranceClaim)
	if err != nil {
		t.Fatal(err)
	}
	want := pactum.Identity{Issuer: iss, Subject: "0a1b@myaccessid.org", Email: "ada@aleph.example", EmailVerified: true, Name: "Ada Aleph",
		ACR: "https://refeds.org/profile/mfa", Assurance: []string{"https://refeds.org/assurance/IAP/medium", "https://refeds.org/assurance/ID/unique"}}
	if id.Issuer != want.Issuer || id.Subject != want.Subject || id.Email != want.Email || !id.EmailVerified || id.Name != want.Name ||
		id.ACR != want.ACR || !slices.Equal(id.Assurance, want.Assurance) {
		t.Fatalf("got %+v", id)
	}
	// email_verified as a string (Cognito and others); one assurance
	// value as a string; a configured claim name.
	id, err = oidc.MapClaims(iss, claims(t, `{"sub":"s","name":"Bob","email_verified":"false","loa":"high"}`), "loa")
	if err != nil || id.EmailVerified || !slices.Equal(id.Assurance, []string{"high"}) || id.Name != "Bob" {
		t.Fatalf("got %+v %v", id, err)
	}
	// Wrong types and hostile values: EINVALID naming the claim.
	for s, field := range map[string]string{
		`{"sub":1}`:                                     "sub",
		`{"sub":"s","email_verified":"yes"}`:            "email_verified",
		`{"sub":"s","eduperson_assurance":{"a":1}}`:     "eduperson_assurance",
		`{"sub":"s","eduperson_assurance":[1,2]}`:       "eduperson_assurance",
		`{"sub":"s","name":"Ada\u0007"}`:                "name",
		`{"sub":"s","email":"not an address"}`:          "email",
		`{}`:                                            "sub",
		`{"sub":"s","eduperson_assurance":["ok","\n"]}`: "assurance[1]",
	} {
		_, err := oidc.MapClaims(iss, claims(t, s), oidc.DefaultAssuranceClaim)
		if pactum.ErrorCode(err) != pactum.EINVALID || !slices.ContainsFunc(pactum.ErrorFields(err), func(f pactum.FieldError) bool { return f.Field == field }) {
			t.Errorf("%s: %v, want EINVALID on %s", s, err, field)
		}
	}
}

func FuzzMapClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"0a1b@myaccessid.org","email":"ada@aleph.example","email_verified":true,"eduperson_assurance":["x","y"]}`,
		`{"sub":"s","email_verified":"true","eduperson_assurance":"x","given_name":"A","family_name":"B"}`,
		`{"sub":null,"name":1}`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		id, err := oidc.MapClaims("https://op.example", m, oidc.DefaultAssuranceClaim)
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Fatalf("%s: %v", s, err)
			}
			return
		}
		// What is accepted is a valid identity from the claims given.
		if err := id.Validate(); err != nil || id.Subject == "" {
			t.Fatalf("%s: accepted %+v: %v", s, id, err)
		}
		var sub string
		if json.Unmarshal(m["sub"], &sub) != nil || sub != id.Subject {
			t.Fatalf("%s: subject %q", s, id.Subject)
		}
	})
}
