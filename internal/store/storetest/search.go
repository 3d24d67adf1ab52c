package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// searchFixtures are small resources that exercise every parameter type.
var searchFixtures = []string{
	`{"resourceType":"Organization","id":"org1","name":"Riverside Surgery","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}]}`,
	`{"resourceType":"Patient","id":"p1","name":[{"family":"Brontë","given":["Émile","Jane"]}],"gender":"female","birthDate":"1980-05-17",
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"NH"}]}}],
	  "managingOrganization":{"reference":"Organization/org1"},"active":true}`,
	`{"resourceType":"Patient","id":"p2","name":[{"family":"Brown","given":["Sam"]}],"gender":"male","birthDate":"1975",
	  "identifier":[{"system":"urn:local","value":"L-2"}]}`,
	`{"resourceType":"Patient","id":"p3","name":[{"family":"Smith","given":["Ann"]}],"gender":"female","deceasedBoolean":true}`,
	`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2","display":"Body height"}]},
	  "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":172.5,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}}`,
	`{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},
	  "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2023-01-15","valueQuantity":{"value":170,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}}`,
	`{"resourceType":"Observation","id":"o3","status":"preliminary","code":{"coding":[{"code":"local-1"}],"text":"Mood score"},
	  "subject":{"reference":"Patient/p2"},"effectivePeriod":{"start":"2024-02-01","end":"2024-02-29"},"valueQuantity":{"value":5.4,"unit":"score"}}`,
	`{"resourceType":"Observation","id":"o4","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"27113001"}]},
	  "subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000017"}}}`,
	`{"resourceType":"Observation","id":"bp","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/p3"},
	  "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":128,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
	               {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":82,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`,
	`{"resourceType":"ValueSet","id":"vs1","url":"http://example.org/fhir/ValueSet/gp-codes","status":"active"}`,
	`{"resourceType":"RiskAssessment","id":"ra1","status":"final","subject":{"reference":"Patient/p2"},"prediction":[{"probabilityDecimal":0.25}]}`,
	// instantiates-canonical names no target types: a bare id is looked
	// up among every type.
	`{"resourceType":"RequestGroup","id":"rg1","status":"active","intent":"plan","instantiatesCanonical":["PlanDefinition/pd1"]}`,
}

func loadFixtures(t *testing.T, s store.Store) {
	t.Helper()
	putResources(t, s, searchFixtures...)
}

// PutResources stores JSON resources as version 1, indexed as the
// service would index them, for an adapter's own tests.
func PutResources(t *testing.T, s store.Store, docs ...string) {
	t.Helper()
	putResources(t, s, docs...)
}

// putResources stores JSON resources as version 1, indexed as the service
// would index them.
func putResources(t *testing.T, s store.Store, docs ...string) {
	t.Helper()
	var ws []store.Write
	for i, src := range docs {
		res, err := fhir.Unmarshal([]byte(src))
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		res.SetVersion("1", at(i))
		body, _ := json.Marshal(res)
		ws = append(ws, store.Write{
			Version: store.Version{Type: res.Type(), ID: res.ID(), VersionID: 1, LastUpdated: at(i), Method: "POST", Body: body},
			Index:   search.Extract(res),
		})
	}
	put(t, s, ws...)
}

// runQuery parses a query string for a type and returns the matching ids
// in result order.
func runQuery(t *testing.T, s store.Store, typ, query string) []string {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	if typ != "" {
		types = []string{typ}
	}
	q, ignored, err := search.Parse(types, params, search.ParseOptions{DefaultCount: 100, MaxCount: 1000, BaseURL: "http://gp.example/fhir"})
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	if len(ignored) > 0 {
		t.Fatalf("%s?%s: ignored %v", typ, query, ignored)
	}
	page, err := s.Search(context.Background(), q, store.PageRequest{})
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	ids := []string{}
	for _, v := range page.Matches {
		ids = append(ids, v.ID)
	}
	return ids
}

func testSearch(t *testing.T, s store.Store) {
	loadFixtures(t, s)
	searchTheFixtures(t, s)
}

// searchTheFixtures makes testSearch's searches of loadFixtures' resources.
func searchTheFixtures(t *testing.T, s store.Store) {
	tests := []struct {
		typ, query string
		want       string // ids, comma-separated, in order when sorted
		ordered    bool
	}{
		// string: starts-with, case and accent insensitive; exact; contains
		{"Patient", "name=bro", "p1,p2", false},
		{"Patient", "family=BRONTE", "p1", false},
		{"Patient", "given=emile", "p1", false},
		{"Patient", "family:exact=Brontë", "p1", false},
		{"Patient", "family:exact=bronte", "", false},
		{"Patient", "name:contains=mit", "p3", false},
		{"Patient", "name=bro&name=sam", "p2", false},
		{"Patient", "name=smith,brown", "p2,p3", false},
		// token
		{"Patient", "gender=female", "p1,p3", false},
		{"Patient", "gender:not=female", "p2", false},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "p1", false},
		{"Patient", "identifier=9000000009", "p1", false},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|", "p1", false},
		{"Patient", "identifier=|9000000009", "", false},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NH|9000000009", "p1", false},
		{"Patient", "active=true", "p1", false},
		{"Patient", "deceased=true", "p3", false},
		{"Observation", "code=http://loinc.org|8302-2", "o1,o2", false},
		{"Observation", "code=|local-1", "o3", false},
		{"Observation", "code:text=mood", "o3", false},
		{"Observation", "code:text=body", "o1", false},
		{"Observation", "_id=o1,o3", "o1,o3", false},
		// reference
		{"Observation", "subject=Patient/p1", "o1,o2", false},
		{"Observation", "subject=p2", "o3", false},
		{"Observation", "subject:Patient=p2", "o3", false},
		{"Observation", "patient=p1", "o1,o2", false},
		{"Observation", "subject=http://gp.example/fhir/Patient/p1", "o1,o2", false},
		{"Observation", "subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000017", "o4", false},
		{"Patient", "organization=Organization/org1", "p1", false},
		{"RequestGroup", "instantiates-canonical=pd1", "rg1", false},
		{"RequestGroup", "instantiates-canonical=PlanDefinition/pd1", "rg1", false},
		{"RequestGroup", "instantiates-canonical=pd2", "", false},
		// date
		{"Patient", "birthdate=1980-05-17", "p1", false},
		{"Patient", "birthdate=1980", "p1", false},
		{"Patient", "birthdate=1975-06-01", "", false},
		{"Patient", "birthdate=ge1975-06-01", "p1,p2", false},
		{"Patient", "birthdate=lt1976", "p2", false},
		{"Patient", "birthdate=sa1975", "p1", false},
		{"Patient", "birthdate=eb1980-01-01", "p2", false},
		{"Patient", "birthdate=ne1980-05-17", "p2", false},
		{"Observation", "date=2024-02", "o3", false},
		{"Observation", "date=2024-02-10", "", false},
		{"Observation", "date=ge2024-02-10", "o1,o3", false},
		{"Observation", "date=le2024-02-10", "o2,o3", false},
		{"Observation", "date=gt2024-03-01T09:00:00Z", "o1", false},
		{"Observation", "date=ge2023-01-15T12:00:00Z&date=lt2024", "o2", false},
		// number and quantity
		{"RiskAssessment", "probability=gt0.2", "ra1", false},
		{"RiskAssessment", "probability=0.3", "ra1", false}, // 0.3 stands for [0.25, 0.35)
		{"RiskAssessment", "probability=0.4", "", false},
		{"RiskAssessment", "probability=0.25", "ra1", false},
		{"Observation", "value-quantity=gt171", "o1", false},
		{"Observation", "value-quantity=170", "o2", false},
		{"Observation", "value-quantity=5.4", "o3", false},
		{"Observation", "value-quantity=5", "o3", false},
		{"Observation", "value-quantity=le172.5|http://unitsofmeasure.org|cm", "o1,o2", false},
		{"Observation", "value-quantity=5.4||score", "o3", false},
		{"Observation", "value-quantity=ge100|http://unitsofmeasure.org|mm", "", false},
		// composite
		{"Observation", "code-value-quantity=http://loinc.org|8302-2$gt171", "o1", false},
		{"Observation", "code-value-quantity=8302-2$170", "o2", false},
		{"Observation", "code-value-quantity=8302-2$170|http://unitsofmeasure.org|cm", "o2", false},
		{"Observation", "code-value-quantity=8302-2$170|http://unitsofmeasure.org|mm", "", false},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$lt130", "bp", false},
		{"Observation", "component-code-value-quantity=http://loinc.org|8462-4$gt90", "", false},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$lt100,http://loinc.org|8462-4$lt100", "bp", false},
		{"Observation", "combo-code-value-quantity=8480-6$ge128", "bp", false},
		// uri
		{"ValueSet", "url=http://example.org/fhir/ValueSet/gp-codes", "vs1", false},
		{"ValueSet", "url:below=http://example.org/fhir/", "vs1", false},
		{"ValueSet", "url:above=http://example.org/fhir/ValueSet/gp-codes/extra", "vs1", false},
		// missing
		{"Patient", "birthdate:missing=true", "p3", false},
		{"Patient", "birthdate:missing=false", "p1,p2", false},
		{"Observation", "subject:missing=true", "o4", false},
		// chains and reverse chains
		{"Observation", "subject:Patient.name=brown", "o3", false},
		{"Observation", "subject:Patient.organization.name=riverside", "o1,o2", false},
		{"Observation", "patient.gender=female", "bp,o1,o2", false},
		{"Patient", "_has:Observation:patient:code=8302-2", "p1", false},
		{"Patient", "_has:Observation:subject:status=preliminary", "p2", false},
		{"Organization", "_has:Patient:organization:_has:Observation:patient:status=final", "org1", false},
		// sorting
		{"Patient", "_sort=family", "p1,p2,p3", true},
		{"Patient", "_sort=-family", "p3,p2,p1", true},
		{"Patient", "_sort=birthdate", "p2,p1,p3", true},
		{"Observation", "code=8302-2&_sort=-date", "o1,o2", true},
		{"Observation", "_sort=status,-date", "o1,o2,bp,o4,o3", true},
		// system level
		{"", "_id=p1,o1", "o1,p1", true},
		{"", "_id=p1,o1&_lastUpdated=ge1970", "o1,p1", true},
		{"", "_id=p1,o1&_lastUpdated:missing=true", "", true},
	}
	for _, tc := range tests {
		got := runQuery(t, s, tc.typ, tc.query)
		if !tc.ordered {
			sort.Strings(got)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s?%s = %v, want [%s]", tc.typ, tc.query, got, tc.want)
		}
	}
	t.Run("Compartment", func(t *testing.T) {
		q := &search.Query{Types: []string{"Observation"}, Count: 10, Compartment: &search.Compartment{Type: "Patient", ID: "p1", Params: []string{"subject", "performer"}}}
		page, err := s.Search(context.Background(), q, store.PageRequest{})
		if err != nil || len(page.Matches) != 2 {
			t.Fatalf("compartment search: %d matches, %v", len(page.Matches), err)
		}
	})
	t.Run("CompartmentManyTypes", func(t *testing.T) {
		// As $everything asks: the members of several types, found through
		// the reference index and joined; o1 names p1 through two parameters
		// (subject and patient) and is still one match; p2's records and
		// the types without the compartment's parameters stay out.
		ctx := context.Background()
		cp := &search.Compartment{Type: "Patient", ID: "p1", ParamsByType: map[string][]string{
			"Observation": {"subject", "patient", "performer"}, "RiskAssessment": {"subject"}}}
		var got []string
		page, err := s.Search(ctx, &search.Query{Types: []string{"Observation", "Organization", "Patient", "RiskAssessment"}, Count: 2, Compartment: cp}, store.PageRequest{})
		for _, v := range page.Matches {
			got = append(got, v.Type+"/"+v.ID)
		}
		if err != nil || !page.HasMore || page.Total != 3 {
			t.Fatalf("first page: %v, more %v, total %d, %v", got, page.HasMore, page.Total, err)
		}
		next, err := s.Search(ctx, &search.Query{Types: []string{"Observation", "Organization", "Patient", "RiskAssessment"}, Count: 2, Compartment: cp}, store.PageRequest{SearchID: page.SearchID, Offset: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range next.Matches {
			got = append(got, v.Type+"/"+v.ID)
		}
		if want := "Observation/o1,Observation/o2,Patient/p1"; strings.Join(got, ",") != want || next.HasMore {
			t.Errorf("Patient/p1 compartment, pages of 2: %v (more %v), want [%s]", got, next.HasMore, want)
		}
		page, err = s.Search(ctx, &search.Query{Types: []string{"Observation", "RiskAssessment"}, Count: 10, Compartment: &search.Compartment{Type: "Patient", ID: "p2", ParamsByType: cp.ParamsByType}}, store.PageRequest{})
		got = nil
		for _, v := range page.Matches {
			got = append(got, v.Type+"/"+v.ID)
		}
		if want := "Observation/o3,RiskAssessment/ra1"; err != nil || strings.Join(got, ",") != want {
			t.Errorf("Patient/p2 compartment without the Patient: %v, %v, want [%s]", got, err, want)
		}
	})
	t.Run("Includes", func(t *testing.T) { testIncludes(t, s) })
	t.Run("InvalidValues", func(t *testing.T) {
		for _, query := range []string{"birthdate=1980-13-01", "birthdate=xx2020", "_count=-1", "_sort=nope", "_include=Patient:nope"} {
			params, _ := url.ParseQuery(query)
			if _, _, err := search.Parse([]string{"Patient"}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100}); err == nil {
				t.Errorf("Patient?%s: parsed without error", query)
			}
		}
	})
}

func testIncludes(t *testing.T, s store.Store) {
	ctx := context.Background()
	params, _ := url.ParseQuery("_id=o1&_include=Observation:subject&_include:iterate=Patient:organization&_revinclude=RiskAssessment:subject")
	q, _, err := search.Parse([]string{"Observation"}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Search(ctx, q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := s.Included(ctx, q, page.Matches, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range inc {
		got = append(got, v.Type+"/"+v.ID)
	}
	sort.Strings(got)
	if want := []string{"Organization/org1", "Patient/p1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("_include with :iterate = %v, want %v", got, want)
	}
	params, _ = url.ParseQuery("_id=p2&_revinclude=Observation:subject&_revinclude=RiskAssessment:subject")
	q, _, _ = search.Parse([]string{"Patient"}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
	page, _ = s.Search(ctx, q, store.PageRequest{})
	inc, err = s.Included(ctx, q, page.Matches, nil)
	got = nil
	for _, v := range inc {
		got = append(got, v.Type+"/"+v.ID)
	}
	sort.Strings(got)
	if want := []string{"Observation/o3", "RiskAssessment/ra1"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("_revinclude = %v (%v), want %v", got, err, want)
	}
}

// testSearchPaging pages through a stored result list while resources are
// written: every page comes from the list made at the first request.
func testSearchPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ws []store.Write
	for i := 0; i < 25; i++ {
		ws = append(ws, write("Patient", "pg"+string(rune('a'+i)), 1, i, search.TokenValue{Param: "gender", Code: "other"}))
	}
	put(t, s, ws...)
	params, _ := url.ParseQuery("gender=other&_count=10&_sort=-_id")
	q, _, err := search.Parse([]string{"Patient"}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Search(ctx, q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 25 || !first.HasMore || first.SearchID == "" || len(first.Matches) != 10 {
		t.Fatalf("first page: total %d, more %v, id %q, %d matches", first.Total, first.HasMore, first.SearchID, len(first.Matches))
	}
	// Writes between pages: a new match, a deletion, an update.
	put(t, s, write("Patient", "pgz", 1, 100, search.TokenValue{Param: "gender", Code: "other"}))
	del := write("Patient", "pgb", 2, 101)
	del.Deleted, del.Method = true, "DELETE"
	put(t, s, del)
	seen := map[string]bool{}
	for _, v := range first.Matches {
		seen[v.ID] = true
	}
	for offset := 10; ; offset += 10 {
		page, err := s.Search(ctx, q, store.PageRequest{SearchID: first.SearchID, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != first.Total {
			t.Errorf("page at %d reports total %d, the first page %d", offset, page.Total, first.Total)
		}
		for _, v := range page.Matches {
			if seen[v.ID] {
				t.Errorf("%s appears twice", v.ID)
			}
			seen[v.ID] = true
		}
		if !page.HasMore {
			break
		}
	}
	if len(seen) != 25 || seen["pgz"] || !seen["pgb"] {
		t.Errorf("paged %d resources (pgz %v, pgb %v), want the 25 of the first request", len(seen), seen["pgz"], seen["pgb"])
	}
	if _, err := s.Search(ctx, q, store.PageRequest{SearchID: "no-such-search", Offset: 10}); err == nil {
		t.Error("an unknown search id gave no error")
	}
	// A list stored under one access condition serves no page asked for
	// under another (a link passed to a caller with less reach).
	restricted := *q
	restricted.Access = &search.Access{Patients: []string{"pga"}}
	restricted.AccessKey = restricted.Access.Key()
	if _, err := s.Search(ctx, &restricted, store.PageRequest{SearchID: first.SearchID, Offset: 10}); !errors.Is(err, store.ErrSearchExpired) {
		t.Errorf("a page under another access condition: %v, want ErrSearchExpired", err)
	}
	own, err := s.Search(ctx, &restricted, store.PageRequest{})
	if err != nil || len(own.Matches) != 1 || own.Matches[0].ID != "pga" {
		t.Fatalf("restricted search: %+v %v", own, err)
	}
}

// testSearchIndexMaintained: updates replace index rows, deletes remove
// them, ReplaceIndex rewrites them.
func testSearchIndexMaintained(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, write("Patient", "m1", 1, 1, search.TokenValue{Param: "gender", Code: "male"}))
	put(t, s, write("Patient", "m1", 2, 2, search.TokenValue{Param: "gender", Code: "female"}))
	if got := runQuery(t, s, "Patient", "gender=male"); len(got) != 0 {
		t.Errorf("after update, gender=male = %v", got)
	}
	if got := runQuery(t, s, "Patient", "gender=female"); len(got) != 1 {
		t.Errorf("after update, gender=female = %v", got)
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		return tx.ReplaceIndex(ctx, "Patient", "m1", search.Values{Tokens: []search.TokenValue{{Param: "gender", Code: "unknown"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := runQuery(t, s, "Patient", "gender=unknown"); len(got) != 1 {
		t.Errorf("after ReplaceIndex, gender=unknown = %v", got)
	}
	del := write("Patient", "m1", 3, 3)
	del.Deleted, del.Method = true, "DELETE"
	put(t, s, del)
	if got := runQuery(t, s, "Patient", "gender=unknown"); len(got) != 0 {
		t.Errorf("after delete, gender=unknown = %v", got)
	}
	cur, err := s.Current(ctx, "Patient", "", 10)
	if err != nil || len(cur) != 0 {
		t.Errorf("Current after delete = %d, %v", len(cur), err)
	}
}

// testSearchFirstPageFromIndex: a first page counted and ordered from
// the lead's index rows (sqlstore's indexOnlyPage) counts each current
// resource once, whatever its history, and none deleted; it shows the
// current versions, in id order, and the later pages follow on.
func testSearchFirstPageFromIndex(t *testing.T, s store.Store) {
	ctx := context.Background()
	other := search.TokenValue{Param: "gender", Code: "other"}
	var ws []store.Write
	active := search.TokenValue{Param: "active", Code: "true"}
	for _, id := range []string{"fi1", "fi2", "fi3", "fi4", "fi5", "fi6", "fi7"} {
		if id == "fi1" || id == "fi4" || id == "fi6" {
			ws = append(ws, write("Patient", id, 1, 1, other, active))
			continue
		}
		ws = append(ws, write("Patient", id, 1, 1, other))
	}
	put(t, s, ws...)
	put(t, s, write("Patient", "fi2", 2, 2, other))
	put(t, s, write("Patient", "fi2", 3, 3, other, search.TokenValue{Param: "gender", Code: "other", System: "urn:x"}))
	put(t, s, write("Patient", "fi3", 2, 4, search.TokenValue{Param: "gender", Code: "male"}))
	del := write("Patient", "fi1", 2, 5)
	del.Deleted, del.Method = true, "DELETE"
	put(t, s, del)
	q, page := firstPage(t, s, "Patient", "gender=other&_count=2")
	if page.Total != 5 || !page.HasMore || len(page.Matches) != 2 {
		t.Fatalf("first page: total %d, more %v, %d matches; want 5, true, 2", page.Total, page.HasMore, len(page.Matches))
	}
	var got []string
	for _, v := range page.Matches {
		got = append(got, fmt.Sprintf("%s/%d", v.ID, v.VersionID))
	}
	for offset := 2; page.HasMore; offset += 2 {
		var err error
		if page, err = s.Search(ctx, q, store.PageRequest{SearchID: page.SearchID, Offset: offset}); err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Matches {
			got = append(got, fmt.Sprintf("%s/%d", v.ID, v.VersionID))
		}
	}
	if want := "fi2/3 fi4/1 fi5/1 fi6/1 fi7/1"; strings.Join(got, " ") != want {
		t.Errorf("pages: %s, want %s", strings.Join(got, " "), want)
	}
	// A second filter, probed on the lead's rows (fi1 matched both
	// before its deletion).
	if _, page = firstPage(t, s, "Patient", "gender=other&active=true&_count=1"); page.Total != 2 || !page.HasMore || len(page.Matches) != 1 || page.Matches[0].ID != "fi4" {
		t.Fatalf("two filters: total %d, more %v, %d matches; want 2, true, fi4", page.Total, page.HasMore, len(page.Matches))
	}

	firstPageFromChain(t, s)
}

// firstPageFromChain: a first page led by a chain is counted from the
// searched type's own reference rows, with the chain's targets read from
// their index rows: an Observation whose patient was deleted, one deleted
// itself and one whose code changed are not counted, and one referring
// to two matching patients is counted once.
func firstPageFromChain(t *testing.T, s store.Store) {
	name := func(n string) search.StringValue { return search.StringValue{Param: "name", Norm: n, Exact: n} }
	patient := func(id, n string) store.Write {
		w := write("Patient", id, 1, 1)
		w.Index.Strings = []search.StringValue{name(n)}
		return w
	}
	obs := func(id string, v int64, code string, patients ...string) store.Write {
		w := write("Observation", id, v, int(v), search.TokenValue{Param: "code", Code: code})
		for _, p := range patients {
			w.Index.References = append(w.Index.References, search.ReferenceValue{Param: "subject", TargetType: "Patient", TargetID: p})
		}
		return w
	}
	put(t, s, patient("cpa", "shaw"), patient("cpb", "shaw"), patient("cpc", "other"), patient("cpd", "shaw"),
		obs("coa1", 1, "c", "cpa"), obs("coa2", 1, "c", "cpa"), obs("coa3", 1, "c", "cpa"), obs("cob1", 1, "c", "cpb"),
		obs("coc1", 1, "c", "cpc"), obs("coa5", 1, "c", "cpa"), obs("cod1", 1, "c", "cpa", "cpd"))
	gone := write("Patient", "cpb", 2, 2)
	gone.Deleted, gone.Method = true, "DELETE"
	deleted := write("Observation", "coa3", 2, 2)
	deleted.Deleted, deleted.Method = true, "DELETE"
	put(t, s, gone, deleted, obs("coa2", 2, "d", "cpa"))

	ids := func(page store.SearchPage) string {
		var got []string
		for _, v := range page.Matches {
			got = append(got, fmt.Sprintf("%s/%d", v.ID, v.VersionID))
		}
		return strings.Join(got, " ")
	}
	if _, page := firstPage(t, s, "Observation", "subject:Patient.name=shaw&_count=10"); page.Total != 4 || ids(page) != "coa1/1 coa2/2 coa5/1 cod1/1" {
		t.Errorf("chain: total %d, %s; want 4, coa1/1 coa2/2 coa5/1 cod1/1", page.Total, ids(page))
	}
	if _, page := firstPage(t, s, "Observation", "subject:Patient.name=shaw&code=c&_count=1"); page.Total != 3 || !page.HasMore || ids(page) != "coa1/1" {
		t.Errorf("chain and code: total %d, more %v, %s; want 3, true, coa1/1", page.Total, page.HasMore, ids(page))
	}
}

// firstPage parses a search of typ and asks for its first page.
func firstPage(t *testing.T, s store.Store, typ, query string) (*search.Query, store.SearchPage) {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := search.Parse([]string{typ}, params, search.ParseOptions{DefaultCount: 10, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Search(context.Background(), q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return q, page
}

// PagingElsewhere asks for the first page of a search of 120 matches on
// first and for the later pages on second: another process sharing the
// database, or the same database reopened after a restart (second is
// then called once first is closed). The list behind the first page may
// still be being written when it is answered; a page asked for elsewhere
// must then wait for it, not miss it nor answer it expired.
func PagingElsewhere(t *testing.T, first store.Store, second func() store.Store) {
	ctx := context.Background()
	var ws []store.Write
	for i := 0; i < 120; i++ {
		ws = append(ws, write("Patient", fmt.Sprintf("pe%03d", i), 1, i, search.TokenValue{Param: "gender", Code: "unknown"}))
	}
	put(t, first, ws...)
	params, _ := url.ParseQuery("gender=unknown&_count=50&_sort=_id")
	q, _, err := search.Parse([]string{"Patient"}, params, search.ParseOptions{DefaultCount: 50, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	page, err := first.Search(ctx, q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 120 || !page.HasMore || page.SearchID == "" || len(page.Matches) != 50 {
		t.Fatalf("first page: total %d, more %v, id %q, %d matches", page.Total, page.HasMore, page.SearchID, len(page.Matches))
	}
	var got []string
	for _, v := range page.Matches {
		got = append(got, v.ID)
	}
	other := second()
	for offset := 50; page.HasMore; offset += 50 {
		if page, err = other.Search(ctx, q, store.PageRequest{SearchID: page.SearchID, Offset: offset}); err != nil {
			t.Fatalf("page at %d elsewhere: %v", offset, err)
		}
		if page.Total != 120 {
			t.Errorf("page at %d: total %d, want 120", offset, page.Total)
		}
		for _, v := range page.Matches {
			got = append(got, v.ID)
		}
	}
	if len(got) != 120 {
		t.Fatalf("paged %d matches, want 120", len(got))
	}
	for i, id := range got {
		if want := fmt.Sprintf("pe%03d", i); id != want {
			t.Fatalf("match %d is %s, want %s", i, id, want)
		}
	}
}
