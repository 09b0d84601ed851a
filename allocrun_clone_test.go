// SPDX-License-Identifier: EUPL-1.2

package pactum_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
)

// TestAllocationRunClone: a clone of a run (and of a run input) with every
// field filled is equal to it and shares no slice, map or pointer with it,
// so a field added later is caught here if Clone forgets it.
func TestAllocationRunClone(t *testing.T) {
	var run pactum.AllocationRun
	fill(reflect.ValueOf(&run).Elem(), 0)
	if run.Changes == nil || len(run.Outcomes) == 0 || len(run.Outcomes[0].Grants) == 0 || len(run.Changes.Outcomes) == 0 {
		t.Fatalf("fill left fields empty: %+v", run)
	}
	c := run.Clone()
	if d := cmp.Diff(&run, c); d != "" {
		t.Fatalf("clone differs (-run +clone):\n%s", d)
	}
	shared(t, "run", reflect.ValueOf(run), reflect.ValueOf(*c))

	var in pactum.AllocationRunInput
	fill(reflect.ValueOf(&in).Elem(), 0)
	ci := in.Clone()
	if d := cmp.Diff(&in, ci); d != "" {
		t.Fatalf("input clone differs:\n%s", d)
	}
	shared(t, "input", reflect.ValueOf(in), reflect.ValueOf(*ci))
	if (*pactum.AllocationRun)(nil).Clone() != nil || (*pactum.RunDiff)(nil).Clone() != nil {
		t.Error("a nil clone is not nil")
	}
}

// fill sets every field of v to something not zero: two elements per
// slice, one entry per map, a new value behind each pointer.
func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(1.5)
	}
}

// shared reports each slice, map or pointer that a and b have in common.
func shared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the pointer", path)
		} else if !a.IsNil() {
			shared(t, path, a.Elem(), b.Elem())
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the slice", path)
		}
		for i := range min(a.Len(), b.Len()) {
			shared(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the map", path)
		}
	}
}
