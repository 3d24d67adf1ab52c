// Package termtest loads a small SNOMED CT release for tests of the
// packages that use the terminology: a hierarchy (clinical finding >
// diabetes mellitus > type 1 and type 2), synonyms, an inactive concept
// with its replacement, an attribute relationship and a reference set.
package termtest

import (
	"context"
	"errors"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
)

const sct = "http://snomed.info/sct"

// Refset is the reference set the release holds (type 2 diabetes and
// hypertension).
const Refset = "999000011000000103"

// LoadSmallRelease loads the release as the current SNOMED CT release of
// st (a store.Store that keeps terminology).
func LoadSmallRelease(tb testing.TB, st any) {
	tb.Helper()
	tm, ok := st.(store.Terminology)
	if !ok {
		tb.Fatal("the store keeps no terminology")
	}
	ctx := context.Background()
	cs := []store.TermConcept{
		{System: sct, Code: "138875005", Active: true, Display: "SNOMED CT Concept"},
		{System: sct, Code: "404684003", Active: true, Display: "Clinical finding"},
		{System: sct, Code: "73211009", Active: true, Display: "Diabetes mellitus"},
		{System: sct, Code: "44054006", Active: true, Display: "Type 2 diabetes mellitus"},
		{System: sct, Code: "46635009", Active: true, Display: "Type 1 diabetes mellitus"},
		{System: sct, Code: "190330002", Active: false, Display: "Diabetes mellitus, old code"},
		{System: sct, Code: "38341003", Active: true, Display: "Hypertensive disorder"},
	}
	var ds []store.TermDescription
	id := 1000
	add := func(code, term string, typ int) {
		id++
		ds = append(ds, store.TermDescription{ID: "1" + itoa(id) + "011", System: sct, Code: code, Term: term, Type: typ, Lang: "en", Active: true})
	}
	for _, c := range cs {
		add(c.Code, c.Display, store.DescPreferred)
	}
	add("73211009", "Diabetes mellitus (disorder)", store.DescFSN)
	add("44054006", "T2DM - Type 2 diabetes mellitus", store.DescSynonym)
	add("38341003", "High blood pressure", store.DescSynonym)
	rs := []store.TermRelationship{
		{System: sct, Source: "404684003", Type: store.IsA, Dest: "138875005"},
		{System: sct, Source: "73211009", Type: store.IsA, Dest: "404684003"},
		{System: sct, Source: "44054006", Type: store.IsA, Dest: "73211009"},
		{System: sct, Source: "46635009", Type: store.IsA, Dest: "73211009"},
		{System: sct, Source: "38341003", Type: store.IsA, Dest: "404684003"},
		{System: sct, Source: "73211009", Type: "363698007", Dest: "113331007"},
	}
	w, err := tm.BeginRelease(ctx, "snomed", "termtest")
	if err != nil {
		tb.Fatal(err)
	}
	err = errors.Join(w.AddConcepts(ctx, cs), w.AddDescriptions(ctx, ds), w.AddRelationships(ctx, rs),
		w.AddAssociations(ctx, []store.TermAssociation{{System: sct, Source: "190330002", Refset: "900000000000526001", Target: "44054006"}}),
		w.AddMembers(ctx, []store.TermMember{{Refset: Refset, Code: "44054006"}, {Refset: Refset, Code: "38341003"}}))
	if err != nil {
		_ = w.Abort(ctx)
		tb.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		tb.Fatal(err)
	}
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
