package storetest

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// narrowedFixtures refer to Patients, a Group and a RelatedPerson through
// parameters that a narrowed parameter (search.Param.StoredTarget) reads:
// Observation's subject (patient), Encounter's participant
// (practitioner), AuditEvent's agent and entity (patient).
var narrowedFixtures = []string{
	`{"resourceType":"Patient","id":"np1","name":[{"family":"Narrow"}],"identifier":[{"system":"urn:nhs","value":"111"}]}`,
	`{"resourceType":"Patient","id":"np2","name":[{"family":"Other"}]}`,
	`{"resourceType":"Group","id":"ng1","type":"person","actual":true}`,
	`{"resourceType":"Practitioner","id":"npr1","name":[{"family":"Doctor"}]}`,
	`{"resourceType":"RelatedPerson","id":"nrp1","patient":{"reference":"Patient/np1"}}`,
	`{"resourceType":"Observation","id":"no1","status":"final","code":{"text":"a"},"subject":{"reference":"Patient/np1","identifier":{"system":"urn:nhs","value":"111"}}}`,
	`{"resourceType":"Observation","id":"no2","status":"final","code":{"text":"b"},"subject":{"reference":"Patient/np2"}}`,
	`{"resourceType":"Observation","id":"no3","status":"final","code":{"text":"c"},"subject":{"reference":"Group/ng1"}}`,
	`{"resourceType":"Observation","id":"no4","status":"final","code":{"text":"d"},"subject":{"reference":"Patient/ng1"}}`,
	`{"resourceType":"Observation","id":"no5","status":"final","code":{"text":"e"}}`,
	`{"resourceType":"Encounter","id":"ne1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/np1"},
	  "participant":[{"individual":{"reference":"Practitioner/npr1"}},{"individual":{"reference":"RelatedPerson/nrp1"}}]}`,
	`{"resourceType":"Encounter","id":"ne2","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Group/ng1"},
	  "participant":[{"individual":{"reference":"RelatedPerson/nrp1"}}]}`,
	`{"resourceType":"AuditEvent","id":"na1","type":{"code":"rest"},"recorded":"2024-03-01T10:00:00Z",
	  "agent":[{"who":{"reference":"Patient/np2"},"requestor":true}],"source":{"observer":{"display":"x"}},
	  "entity":[{"what":{"reference":"Patient/np1"}},{"what":{"reference":"Observation/no1"}}]}`,
	`{"resourceType":"AuditEvent","id":"na2","type":{"code":"rest"},"recorded":"2024-03-01T10:00:00Z",
	  "agent":[{"who":{"reference":"Practitioner/npr1"},"requestor":true}],"source":{"observer":{"display":"x"}},
	  "entity":[{"what":{"reference":"Group/ng1"}}]}`,
}

// testNarrowedReferences: a narrowed parameter's searches read its parts'
// rows that name its target type, and its own rows are not stored, on
// every path that reads reference rows by parameter (filters, :missing,
// :identifier, :not, chains, _has, _include, _revinclude, _sort,
// compartments).
func testNarrowedReferences(t *testing.T, s store.Store) {
	putResources(t, s, narrowedFixtures...)
	checkNarrowedReferences(t, s)
}

// checkNarrowedReferences runs testNarrowedReferences' searches on a store
// holding narrowedFixtures.
func checkNarrowedReferences(t *testing.T, s store.Store) {
	t.Helper()
	cases := []struct{ typ, query, want string }{
		{"Observation", "patient=np1", "no1"},
		{"Observation", "patient=Patient/np1", "no1"},
		{"Observation", "patient=ng1", "no4"}, // Patient/ng1, not the Group
		{"Observation", "subject=ng1", "no3,no4"},
		{"Observation", "patient:missing=true", "no3,no5"},
		{"Observation", "patient:missing=false", "no1,no2,no4"},
		{"Observation", "patient:identifier=urn:nhs|111", "no1"},
		{"Observation", "patient.name=narrow", "no1"},
		{"Observation", "patient:Patient.name=other", "no2"},
		{"Observation", "patient=np1,np2&code:text=a", "no1"},
		{"Patient", "_has:Observation:patient:status=final", "np1,np2"},
		{"Group", "_has:Observation:patient:status=final", ""},
		{"Group", "_has:Observation:subject:status=final", "ng1"},
		{"Encounter", "practitioner=npr1", "ne1"},
		{"Encounter", "participant=nrp1", "ne1,ne2"},
		{"Encounter", "practitioner:missing=true", "ne2"},
		{"Encounter", "patient=np1", "ne1"},
		{"AuditEvent", "patient=np1", "na1"},
		{"AuditEvent", "patient=np2", "na1"},
		{"AuditEvent", "patient=ng1", ""},
		{"AuditEvent", "entity=ng1", "na2"},
		{"AuditEvent", "patient:missing=true", "na2"},
	}
	for _, c := range cases {
		got := strings.Join(sortedIDs(runQuery(t, s, c.typ, c.query)), ",")
		if got != c.want {
			t.Errorf("%s?%s = [%s], want [%s]", c.typ, c.query, got, c.want)
		}
	}
	// Sorted by the narrowed parameter: by the Patient each names; those
	// naming none sort as having no value (last, ascending).
	if got := strings.Join(runQuery(t, s, "Observation", "_sort=patient,_id"), ","); !strings.HasPrefix(got, "no4,no1,no2") {
		t.Errorf("_sort=patient: %s, want no4 (ng1), no1 (np1), no2 (np2) first", got)
	}
	// _include follows the narrowed parameter to Patients only.
	included := func(typ, query string) string {
		q, page := firstPage(t, s, typ, query)
		inc, err := s.Included(context.Background(), q, page.Matches, nil)
		if err != nil {
			t.Fatalf("%s?%s: %v", typ, query, err)
		}
		var got []string
		for _, v := range inc {
			got = append(got, v.Type+"/"+v.ID)
		}
		return strings.Join(sortedIDs(got), ",")
	}
	if got := included("Observation", "_id=no1,no3&_include=Observation:patient"); got != "Patient/np1" {
		t.Errorf("_include=Observation:patient: %s, want Patient/np1 (not the Group)", got)
	}
	if got := included("Observation", "_id=no1,no3&_include=Observation:subject"); got != "Group/ng1,Patient/np1" {
		t.Errorf("_include=Observation:subject: %s", got)
	}
	if got := included("Patient", "_id=np1&_revinclude=Observation:patient&_revinclude=AuditEvent:patient"); got != "AuditEvent/na1,Observation/no1" {
		t.Errorf("_revinclude of Observation:patient and AuditEvent:patient: %s", got)
	}
	// The Patient compartment names Encounter by patient, AuditEvent by
	// patient: members are found through subject, agent and entity.
	cp := &search.Compartment{Type: "Patient", ID: "np1", ParamsByType: map[string][]string{
		"Encounter": {"patient"}, "AuditEvent": {"patient"}, "Observation": {"subject", "performer"}}}
	for _, types := range [][]string{{"Encounter"}, {"AuditEvent", "Encounter", "Observation"}} {
		res, err := s.Search(context.Background(), &search.Query{Types: types, Count: 10, Compartment: cp}, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range res.Matches {
			got = append(got, v.Type+"/"+v.ID)
		}
		want := "Encounter/ne1"
		if len(types) > 1 {
			want = "AuditEvent/na1,Encounter/ne1,Observation/no1"
		}
		if g := strings.Join(sortedIDs(got), ","); g != want {
			t.Errorf("Patient/np1 compartment of %v: %s, want %s", types, g, want)
		}
	}
}

// sortedIDs returns ids sorted, for comparing sets.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// NarrowedRowsDropped: a store an earlier version wrote keeps the rows of
// narrowed reference parameters, and this version's writes add them
// there, for the servers of earlier versions that may still read it;
// searches read through the parts either way. DropNarrowedRows deletes
// them and the writes stop adding them, also after a restart; a new store
// never holds them. open returns a new store on the database db reaches.
func NarrowedRowsDropped(t *testing.T, open func() store.Store, db *sql.DB) {
	ctx := context.Background()
	narrowedRows := func() int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM reference_index r JOIN search_param p ON p.pid = r.pid WHERE p.name IN ('patient', 'practitioner')
			AND type IN ('Observation', 'Encounter', 'AuditEvent', 'DiagnosticReport')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := open()
	putResources(t, s, narrowedFixtures[:1]...)
	s.Close()
	// As a store of an earlier version: no record of the rows dropped.
	if _, err := db.ExecContext(ctx, `DELETE FROM record WHERE kind = 'store-setting'`); err != nil {
		t.Fatal(err)
	}
	s = open()
	putResources(t, s, narrowedFixtures[1:]...)
	// no1, no2, no4 (patient), ne1 (patient, practitioner), na1 (patient
	// twice: np2 as agent, np1 as entity).
	if n := narrowedRows(); n != 7 {
		t.Errorf("an existing store holds %d narrowed rows, want 7 (its earlier versions' servers read them)", n)
	}
	checkNarrowedReferences(t, s)
	dropper, ok := s.(store.DuplicateRowsDropper)
	if !ok {
		t.Fatalf("%T drops no duplicate rows", s)
	}
	// A drop that fails changes nothing: the rows stay, and writes go on
	// adding them.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := dropper.DropNarrowedRows(cancelled); err == nil {
		t.Fatal("DropNarrowedRows with a cancelled context: no error")
	}
	putResources(t, s, `{"resourceType":"DiagnosticReport","id":"nd1","status":"final","code":{"text":"h"},"subject":{"reference":"Patient/np2"}}`)
	if n := narrowedRows(); n != 8 {
		t.Errorf("after a failed drop and a write: %d narrowed rows, want 8", n)
	}
	if deleted, err := dropper.DropNarrowedRows(ctx); err != nil || deleted != 8 {
		t.Fatalf("DropNarrowedRows: %d, %v; want 8 deleted", deleted, err)
	}
	if n := narrowedRows(); n != 0 {
		t.Errorf("%d narrowed rows after the drop", n)
	}
	if deleted, err := dropper.DropNarrowedRows(ctx); err != nil || deleted != 0 {
		t.Errorf("a second drop: %d, %v; want none deleted", deleted, err)
	}
	checkNarrowedReferences(t, s)
	putResources(t, s, `{"resourceType":"Observation","id":"no6","status":"final","code":{"text":"f"},"subject":{"reference":"Patient/np1"}}`)
	if n := narrowedRows(); n != 0 {
		t.Errorf("a write after the drop added %d narrowed rows", n)
	}
	s.Close()
	s = open()
	defer s.Close()
	putResources(t, s, `{"resourceType":"Observation","id":"no7","status":"final","code":{"text":"g"},"subject":{"reference":"Patient/np2"}}`)
	if n := narrowedRows(); n != 0 {
		t.Errorf("a write after a restart added %d narrowed rows", n)
	}
	if got := runQuery(t, s, "Observation", "patient=np1"); !slices.Equal(sortedIDs(got), []string{"no1", "no6"}) {
		t.Errorf("patient=np1 after the drop: %v, want [no1 no6]", got)
	}
}
