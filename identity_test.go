// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

func TestAssurancePolicy(t *testing.T) {
	const (
		low  = "https://refeds.org/assurance/IAP/low"
		med  = "https://refeds.org/assurance/IAP/medium"
		high = "https://refeds.org/assurance/IAP/high"
		uniq = "https://refeds.org/assurance/ID/unique"
		capp = "https://refeds.org/assurance/profile/cappuccino"
		esp  = "https://refeds.org/assurance/profile/espresso"
		mfa  = "https://refeds.org/profile/mfa"
	)
	p := pactum.AssurancePolicy{pactum.RoleReviewer: {uniq, med}, pactum.RoleAuditor: {mfa}, pactum.RoleApplicant: {capp}}
	for _, c := range []struct {
		role    pactum.Role
		id      pactum.Identity
		missing []string
	}{
		{pactum.RoleReviewer, pactum.Identity{Assurance: []string{uniq, med}}, nil},
		{pactum.RoleReviewer, pactum.Identity{Assurance: []string{uniq, high}}, nil},
		{pactum.RoleReviewer, pactum.Identity{Assurance: []string{uniq, low}}, []string{med}},
		{pactum.RoleReviewer, pactum.Identity{}, []string{uniq, med}},
		{pactum.RoleAuditor, pactum.Identity{ACR: mfa}, nil},
		{pactum.RoleAuditor, pactum.Identity{Assurance: []string{high}}, []string{mfa}},
		{pactum.RoleApplicant, pactum.Identity{Assurance: []string{esp}}, nil},
		{pactum.RoleApplicant, pactum.Identity{Assurance: []string{med}}, []string{capp}},
		{pactum.RoleAccessManager, pactum.Identity{}, nil}, // no requirement
	} {
		if got := p.Missing(c.role, &c.id); !slices.Equal(got, c.missing) {
			t.Errorf("%s with %+v: missing %q, want %q", c.role, c.id, got, c.missing)
		}
	}
}

func TestParseAssuranceRequirement(t *testing.T) {
	r, v, err := pactum.ParseAssuranceRequirement(" reviewer = https://refeds.org/assurance/IAP/medium, https://refeds.org/assurance/ID/unique,https://refeds.org/assurance/IAP/medium")
	if err != nil || r != pactum.RoleReviewer || !slices.Equal(v, []string{"https://refeds.org/assurance/IAP/medium", "https://refeds.org/assurance/ID/unique"}) {
		t.Fatalf("%q %q %v", r, v, err)
	}
	for _, bad := range []string{"", "reviewer", "boss=x", "reviewer=", "reviewer=a,,b", "reviewer=a\nb", "auditor=" + strings.Repeat("x", 256)} {
		if _, _, err := pactum.ParseAssuranceRequirement(bad); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseAssuranceRequirement(f *testing.F) {
	for _, s := range []string{"reviewer=https://refeds.org/assurance/IAP/medium", "auditor=a,b", "x=y", "=", "applicant= ,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, values, err := pactum.ParseAssuranceRequirement(s)
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if !r.Valid() || len(values) == 0 {
			t.Fatalf("%q: role %q values %q", s, r, values)
		}
		// Every value is a claim an identity may hold: it passes
		// Identity.Validate, and an identity holding them all meets the
		// requirement.
		id := &pactum.Identity{Issuer: "https://op.example", Subject: "s", Assurance: values}
		if err := id.Validate(); err != nil {
			t.Fatalf("%q: values %q are not valid claims: %v", s, values, err)
		}
		if m := (pactum.AssurancePolicy{r: values}).Missing(r, id); len(m) != 0 {
			t.Fatalf("%q: missing %q", s, m)
		}
	})
}

func TestIdentityValidate(t *testing.T) {
	ok := pactum.Identity{Issuer: "https://proxy.myaccessid.org", Subject: "0123abcd@myaccessid.org", Email: "a@b.example", EmailVerified: true, Name: "Ada",
		Assurance: []string{"https://refeds.org/assurance/IAP/medium"}, ACR: "https://refeds.org/profile/mfa"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mut := range map[string]func(*pactum.Identity){
		"iss":          func(i *pactum.Identity) { i.Issuer = "" },
		"sub":          func(i *pactum.Identity) { i.Subject = strings.Repeat("a", 256) },
		"email":        func(i *pactum.Identity) { i.Email = "Ada <a@b.example>" },
		"name":         func(i *pactum.Identity) { i.Name = "Ada\u202e" },
		"assurance":    func(i *pactum.Identity) { i.Assurance = make([]string, 65) },
		"assurance[0]": func(i *pactum.Identity) { i.Assurance = []string{"a\tb"} },
		"acr":          func(i *pactum.Identity) { i.ACR = "\x1b[31m" },
	} {
		id := ok
		mut(&id)
		err := id.Validate()
		fields := pactum.ErrorFields(err)
		if pactum.ErrorCode(err) != pactum.EINVALID || !slices.ContainsFunc(fields, func(f pactum.FieldError) bool { return f.Field == field }) {
			t.Errorf("%s: %v", field, err)
		}
	}
}
