// SPDX-License-Identifier: EUPL-1.2

package client_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// fill sets every exported field of v (a pointer) to a value that is not
// the zero value, recursively: every string, number and flag, one element
// in every list and map, every pointer allocated. Types that read JSON
// themselves (dates, times) get a date or a time.
func fill(t *testing.T, v reflect.Value, depth int) {
	t.Helper()
	if depth > 8 {
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			for _, s := range []string{`"2026-01-02"`, `"2026-01-02T03:04:05Z"`} {
				if u.UnmarshalJSON([]byte(s)) == nil {
					return
				}
			}
		}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x-" + strings.ToLower(v.Type().Name()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.75)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), depth+1)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, depth+1)
		fill(t, e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), depth+1)
			}
		}
	}
}

// filled returns a T with every field set.
func filled[T any](t *testing.T) *T {
	t.Helper()
	v := new(T)
	fill(t, reflect.ValueOf(v).Elem(), 0)
	return v
}

// jsonMap returns v's JSON as a generic map, without the keys in drop.
func jsonMap(t *testing.T, v any, drop ...string) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range drop {
		if _, ok := m[k]; !ok {
			t.Errorf("%T has no field %q to leave out", v, k)
		}
		delete(m, k)
	}
	return m
}

// sameJSON fails unless want and got carry the same JSON, but for the
// fields only want's type has (those only the server sets).
func sameJSON(t *testing.T, want, got any, serverOnly ...string) {
	t.Helper()
	if d := cmp.Diff(jsonMap(t, want, serverOnly...), jsonMap(t, got)); d != "" {
		t.Errorf("%T → %T loses or changes fields (-domain +generated):\n%s", want, got, d)
	}
}

// TestFromDomain converts fully filled domain values into the generated
// request types: no field may be lost or changed on the way.
func TestFromDomain(t *testing.T) {
	t.Run("UsageBatch", func(t *testing.T) { checkFrom(t, client.FromUsageBatch) })
	t.Run("DriftReport", func(t *testing.T) { checkFrom(t, client.FromDriftReport) })
	t.Run("Proposal", func(t *testing.T) { checkFrom(t, client.FromProposal) })
	t.Run("Organization", func(t *testing.T) { checkFrom(t, client.FromOrganization, "id", "created_at") })
	t.Run("Decision", func(t *testing.T) { checkFrom(t, client.FromDecision) })
	t.Run("Review", func(t *testing.T) { checkFrom(t, client.FromReview) })
	t.Run("ReviewerProfile", func(t *testing.T) {
		checkFrom(t, client.FromReviewerProfile, "user_id", "name", "email", "updated_at", "version")
	})
}

// checkFrom converts a filled D with from and checks that the request
// carries all of it but the serverOnly fields.
func checkFrom[D, C any](t *testing.T, from func(*D) (C, error), serverOnly ...string) {
	t.Helper()
	in := filled[D](t)
	out, err := from(in)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, in, out, serverOnly...)
}

// TestFromDomainEmpty: optional parts the domain value leaves out stay
// out of the request, and the reviewer profile's lists are sent empty,
// not null.
func TestFromDomainEmpty(t *testing.T) {
	d, err := client.FromDecision(&pactum.DecisionInput{Accept: true, Reason: "ok"})
	if err != nil || d.Grants != nil || !d.Accept || d.Reason != "ok" {
		t.Errorf("decision without grants: %+v %v", d, err)
	}
	r, err := client.FromReview(&pactum.ReviewInput{Recommendation: pactum.RecommendAccept, CommentsForApplicant: "fine"})
	if err != nil || r.Scores != nil || r.Systems != nil || r.Conditions != nil || r.ConfidentialComments != nil {
		t.Errorf("review without optional parts: %+v %v", r, err)
	}
	p, err := client.FromReviewerProfile(&pactum.ReviewerProfile{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(p); string(b) != `{"affiliations":[],"declared_conflicts":[],"expertise":[]}` {
		t.Errorf("empty profile: %s", b)
	}
	if _, err := client.FromDecision(&pactum.DecisionInput{Grants: []pactum.Grant{{Amount: math.NaN()}}}); err == nil {
		t.Error("a NaN grant converted without error")
	}
}

// TestToDomain decodes fully filled answers into the domain types: every
// field the server sends arrives.
func TestToDomain(t *testing.T) {
	t.Run("SiteState", func(t *testing.T) {
		checkTo(t, func(b []byte) *client.GetSiteDesiredStateResponse {
			return &client.GetSiteDesiredStateResponse{Body: b}
		},
			filled[client.SiteState](t), client.ToSiteState)
	})
	t.Run("UsageIngest", func(t *testing.T) {
		checkTo(t, func(b []byte) *client.IngestUsageResponse { return &client.IngestUsageResponse{Body: b} },
			filled[client.UsageIngest](t), client.ToUsageIngest)
	})
	t.Run("AuditReport", func(t *testing.T) {
		checkTo(t, func(b []byte) *client.VerifyAuditResponse { return &client.VerifyAuditResponse{Body: b} },
			filled[client.AuditReport](t), client.ToAuditReport)
	})
	t.Run("NotJSON", func(t *testing.T) {
		if _, err := client.ToSiteState(&client.GetSiteDesiredStateResponse{Body: []byte("<html>")}); err == nil {
			t.Error("an HTML body decoded")
		}
		if _, err := client.ToSiteState(&client.GetSiteDesiredStateResponse{}); err == nil {
			t.Error("a missing body decoded")
		}
	})
}

// checkTo has the server answer sent (as the response answer makes of its
// JSON) and checks that to decodes all of it.
func checkTo[C, R, D any](t *testing.T, answer func([]byte) R, sent *C, to func(R) (*D, error)) {
	t.Helper()
	got, err := to(answer(mustJSON(t, sent)))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, sent, got)
}

func TestToError(t *testing.T) {
	e := client.ToError([]byte(`{"error":{"code":"invalid","message":"Bad.","fields":[{"field":"country","message":"is required"}]}}`))
	want := &pactum.Error{Code: "invalid", Message: "Bad.", Fields: []pactum.FieldError{{Field: "country", Message: "is required"}}}
	if d := cmp.Diff(want, e); d != "" {
		t.Errorf("error body (-want +got):\n%s", d)
	}
	for _, body := range []string{``, `not json`, `{"items":[]}`, `{"error":{"code":"x"}}`} {
		if e := client.ToError([]byte(body)); e != nil {
			t.Errorf("%q: %+v, want nil", body, e)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
