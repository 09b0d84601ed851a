// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pactum/pactum"
)

// TestEthicsSections: each section name reaches its own field, named as
// in JSON, and every field of the table has a name.
func TestEthicsSections(t *testing.T) {
	var e pactum.EthicsAssessment
	typ := reflect.TypeOf(e)
	if typ.NumField() != len(pactum.EthicsSections) {
		t.Fatalf("%d fields, %d section names", typ.NumField(), len(pactum.EthicsSections))
	}
	for i, name := range pactum.EthicsSections {
		a := e.Answer(name)
		if a == nil {
			t.Fatalf("%s: no answer", name)
		}
		a.Details = name
		f := typ.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != name {
			t.Errorf("field %d is %s in JSON, named %s", i, tag, name)
		}
		if got := reflect.ValueOf(e).Field(i).FieldByName("Details").String(); got != name {
			t.Errorf("%s reached field %s", name, f.Name)
		}
	}
	if e.Answer("nonsense") != nil {
		t.Error("an unknown section has an answer")
	}
}
