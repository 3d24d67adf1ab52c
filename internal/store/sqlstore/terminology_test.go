package sqlstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

const sct = "http://snomed.info/sct"

// A tiny hierarchy: 404684003 Clinical finding > 73211009 Diabetes
// mellitus > 44054006 Type 2 diabetes mellitus; 46635009 Type 1; an
// inactive duplicate replaced by 44054006.
var testConcepts = []store.TermConcept{
	{System: sct, Code: "138875005", Active: true, Display: "SNOMED CT Concept"},
	{System: sct, Code: "404684003", Active: true, Display: "Clinical finding"},
	{System: sct, Code: "73211009", Active: true, Display: "Diabetes mellitus"},
	{System: sct, Code: "44054006", Active: true, Display: "Type 2 diabetes mellitus"},
	{System: sct, Code: "46635009", Active: true, Display: "Type 1 diabetes mellitus"},
	{System: sct, Code: "190330002", Active: false, Display: "Old diabetes code"},
	{System: sct, Code: "38341003", Active: true, Display: "Hypertensive disorder"},
}

var testDescriptions = []store.TermDescription{
	{ID: "1", System: sct, Code: "73211009", Term: "Diabetes mellitus", Type: store.DescPreferred, Active: true},
	{ID: "2", System: sct, Code: "73211009", Term: "Diabetes mellitus (disorder)", Type: store.DescFSN, Active: true},
	{ID: "3", System: sct, Code: "73211009", Term: "DM - Diabetes mellitus", Type: store.DescSynonym, Active: true},
	{ID: "4", System: sct, Code: "44054006", Term: "Type 2 diabetes mellitus", Type: store.DescPreferred, Active: true},
	{ID: "5", System: sct, Code: "44054006", Term: "T2DM - Type 2 diabetes mellitus", Type: store.DescSynonym, Active: true},
	{ID: "6", System: sct, Code: "46635009", Term: "Type 1 diabetes mellitus", Type: store.DescPreferred, Active: true},
	{ID: "7", System: sct, Code: "190330002", Term: "Diabetes mellitus, old", Type: store.DescPreferred, Active: true},
	{ID: "8", System: sct, Code: "38341003", Term: "Hypertension", Type: store.DescPreferred, Active: true},
	{ID: "9", System: sct, Code: "38341003", Term: "High blood pressure", Type: store.DescSynonym, Active: true},
	{ID: "10", System: sct, Code: "404684003", Term: "Clinical finding", Type: store.DescPreferred, Active: true},
}

var testRelationships = []store.TermRelationship{
	{System: sct, Source: "404684003", Type: store.IsA, Dest: "138875005"},
	{System: sct, Source: "73211009", Type: store.IsA, Dest: "404684003"},
	{System: sct, Source: "44054006", Type: store.IsA, Dest: "73211009"},
	{System: sct, Source: "46635009", Type: store.IsA, Dest: "73211009"},
	{System: sct, Source: "38341003", Type: store.IsA, Dest: "404684003"},
	{System: sct, Source: "73211009", Type: "363698007", Dest: "113331007"}, // finding site: endocrine system
}

func loadTestRelease(t *testing.T, tm store.Terminology, version string) store.TermRelease {
	t.Helper()
	ctx := context.Background()
	w, err := tm.BeginRelease(ctx, "snomed", version)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		w.AddConcepts(ctx, testConcepts),
		w.AddDescriptions(ctx, testDescriptions),
		w.AddRelationships(ctx, testRelationships),
		w.AddAssociations(ctx, []store.TermAssociation{{System: sct, Source: "190330002", Refset: "900000000000527005", Target: "44054006"}}),
		w.AddMembers(ctx, []store.TermMember{{Refset: "999000011000000103", Code: "44054006"}, {Refset: "999000011000000103", Code: "38341003"}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rel, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func TestTerminologySQLite(t *testing.T) { testTerminology(t, storetest.OpenSQLite(t)) }

func TestTerminologyPostgres(t *testing.T) { testTerminology(t, storetest.OpenPostgres(t)) }

func testTerminology(t *testing.T, st store.Store) {
	ctx := context.Background()
	tm := st.(store.Terminology)
	if _, _, err := tm.TermConcept(ctx, sct, "73211009"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any release: %v, want ErrNotFound", err)
	}
	rel := loadTestRelease(t, tm, "v1")
	if rel.Version != "v1" || !slices.Equal(rel.Systems, []string{sct}) {
		t.Fatalf("release = %+v", rel)
	}

	c, ds, err := tm.TermConcept(ctx, sct, "190330002")
	if err != nil || c.Active || len(ds) != 1 {
		t.Fatalf("inactive concept stays resolvable: %+v %v %v", c, ds, err)
	}
	as, err := tm.TermAssociations(ctx, sct, "190330002")
	if err != nil || len(as) != 1 || as[0].Target != "44054006" {
		t.Fatalf("associations = %v %v", as, err)
	}
	rs, err := tm.TermRelationships(ctx, sct, "73211009")
	if err != nil || len(rs) != 2 {
		t.Fatalf("relationships (IS-A and attribute) = %v %v", rs, err)
	}

	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"73211009", "44054006", true},
		{"404684003", "44054006", true},
		{"138875005", "46635009", true},
		{"44054006", "73211009", false},
		{"38341003", "44054006", false},
		{"44054006", "44054006", true},
	} {
		got, err := tm.TermSubsumes(ctx, sct, tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("subsumes(%s, %s) = %v %v, want %v", tc.a, tc.b, got, err, tc.want)
		}
	}
	desc, err := tm.TermDescendants(ctx, sct, "73211009", true, 0)
	slices.Sort(desc)
	if err != nil || !slices.Equal(desc, []string{"44054006", "46635009", "73211009"}) {
		t.Errorf("descendants-or-self = %v %v", desc, err)
	}
	anc, err := tm.TermAncestors(ctx, sct, "44054006", false)
	slices.Sort(anc)
	if err != nil || !slices.Equal(anc, []string{"138875005", "404684003", "73211009"}) {
		t.Errorf("ancestors = %v %v", anc, err)
	}
	mem, err := tm.TermRefsetMembers(ctx, "999000011000000103", 0)
	if err != nil || !slices.Equal(mem, []string{"38341003", "44054006"}) {
		t.Errorf("members = %v %v", mem, err)
	}

	for _, tc := range []struct {
		name  string
		q     store.TermQuery
		codes []string
		terms []string
	}{
		{"word prefixes find the preferred term first", store.TermQuery{Words: []string{"diab", "mel"}},
			[]string{"73211009", "46635009", "44054006"}, []string{"Diabetes mellitus", "Type 1 diabetes mellitus", "Type 2 diabetes mellitus"}},
		{"a synonym matches", store.TermQuery{Words: []string{"high", "bl"}}, []string{"38341003"}, []string{"High blood pressure"}},
		{"an abbreviation in a synonym", store.TermQuery{Words: []string{"t2dm"}}, []string{"44054006"}, []string{"T2DM - Type 2 diabetes mellitus"}},
		{"inactive only when asked", store.TermQuery{Words: []string{"diabetes", "old"}, Inactive: true}, []string{"190330002"}, nil},
		{"inactive left out", store.TermQuery{Words: []string{"diabetes", "old"}}, nil, nil},
		{"within a hierarchy", store.TermQuery{System: sct, Words: []string{"diab"}, Below: []string{"73211009"}, Limit: 1, Offset: 1},
			[]string{"46635009"}, nil},
		{"within a refset", store.TermQuery{System: sct, Words: []string{"diab"}, Refset: "999000011000000103"}, []string{"44054006"}, nil},
		{"no word matches nothing", store.TermQuery{Words: []string{"zzz"}}, nil, nil},
		{"all words must match", store.TermQuery{Words: []string{"diab", "hyper"}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := tm.TermSearch(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var codes, terms []string
			for _, m := range ms {
				codes = append(codes, m.Description.Code)
				terms = append(terms, m.Description.Term)
			}
			if !slices.Equal(codes, tc.codes) || tc.terms != nil && !slices.Equal(terms, tc.terms) {
				t.Errorf("codes %v terms %q, want %v %q", codes, terms, tc.codes, tc.terms)
			}
		})
	}

	// A second release replaces the first whole; an aborted one changes
	// nothing.
	w, err := tm.BeginRelease(ctx, "snomed", "broken")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddConcepts(ctx, []store.TermConcept{{System: sct, Code: "1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if rels, _ := tm.TermReleases(ctx); len(rels) != 1 || rels[0].Version != "v1" {
		t.Fatalf("after abort: %+v", rels)
	}
	loadTestRelease(t, tm, "v2")
	loadTestRelease(t, tm, "v3")
	rels, err := tm.TermReleases(ctx)
	if err != nil || len(rels) != 1 || rels[0].Version != "v3" {
		t.Fatalf("releases = %+v %v", rels, err)
	}
	ms, err := tm.TermSearch(ctx, store.TermQuery{Words: []string{"hypertension"}})
	if err != nil || len(ms) != 1 {
		t.Fatalf("after three loads one concept, not three: %v %v", ms, err)
	}
	// Another source may not load a system this one holds.
	w, _ = tm.BeginRelease(ctx, "other", "x")
	_ = w.AddConcepts(ctx, []store.TermConcept{{System: sct, Code: "2", Active: true}})
	if _, err := w.Commit(ctx); err == nil {
		t.Error("a second source took SNOMED CT")
	}
	_ = w.Abort(ctx)
}

func TestTermWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Type 2 diabetes mellitus", []string{"type", "2", "diabetes", "mellitus"}},
		{"T2DM - Type 2 (disorder)", []string{"t2dm", "type", "2", "disorder"}},
		{"Ménière's disease", []string{"ménière", "s", "disease"}},
		{"  ", nil},
		{"50%_x", []string{"50", "x"}},
	} {
		if got := store.TermWords(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("TermWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
