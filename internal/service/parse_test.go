package service

import (
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

func TestParseETag(t *testing.T) {
	for in, want := range map[string]int64{`W/"3"`: 3, `"12"`: 12, `w/"1"`: 1, `7`: 7} {
		if got, err := ParseETag(in); err != nil || got != want {
			t.Errorf("ParseETag(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{``, `W/""`, `W/"x"`, `"0"`, `"-1"`, `W/"1.5"`} {
		if _, err := ParseETag(in); err == nil {
			t.Errorf("ParseETag(%s) accepted", in)
		}
	}
	if ETag(4) != `W/"4"` {
		t.Errorf("ETag(4) = %s", ETag(4))
	}
}

func TestFindQuery(t *testing.T) {
	tests := []struct {
		query   string
		want    store.FindQuery
		wantErr bool
	}{
		{"identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", System: "https://fhir.nhs.uk/Id/nhs-number", SystemSet: true, Code: "9000000009"}}}, false},
		{"identifier=9000000009", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", Code: "9000000009"}}}, false},
		{"identifier=|abc", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", SystemSet: true, Code: "abc"}}}, false},
		{"identifier=urn:sys|", store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", System: "urn:sys", SystemSet: true}}}, false},
		{"_id=a,b&_count=5", store.FindQuery{Type: "Patient", IDs: []string{"a", "b"}}, false},
		{"", store.FindQuery{}, true},                  // matches everything: refused
		{"_count=1", store.FindQuery{}, true},          // shapes, does not select
		{"name=Smith", store.FindQuery{}, true},        // not supported yet
		{"identifier=", store.FindQuery{}, true},       // empty value
		{"identifier=a,b", store.FindQuery{}, true},    // OR not supported yet
		{"_id=not%20an%20id", store.FindQuery{}, true}, // invalid id
	}
	for _, tt := range tests {
		values, _ := url.ParseQuery(tt.query)
		got, err := findQuery("Patient", values)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v, want error %t", tt.query, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (got.Type != tt.want.Type || !slices.Equal(got.IDs, tt.want.IDs) || !slices.Equal(got.Criteria, tt.want.Criteria)) {
			t.Errorf("%q: %+v, want %+v", tt.query, got, tt.want)
		}
	}
}

func TestParseInstantParam(t *testing.T) {
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	tests := []struct {
		in    string
		asEnd bool
		want  time.Time
	}{
		{"2024-05-01T12:00:00Z", false, utc("2024-05-01T12:00:00Z")},
		{"2024-05-01T12:00:00+01:00", false, utc("2024-05-01T11:00:00Z")},
		{"2024-05-01", false, utc("2024-05-01T00:00:00Z")},
		{"2024-05-01", true, utc("2024-05-01T23:59:59.999999Z")},
		{"2024", true, utc("2024-12-31T23:59:59.999999Z")},
		{"2024-05", false, utc("2024-05-01T00:00:00Z")},
	}
	for _, tt := range tests {
		got, err := ParseInstantParam("_at", tt.in, tt.asEnd)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s (end %t) = %v, %v; want %v", tt.in, tt.asEnd, got, err, tt.want)
		}
	}
	if _, err := ParseInstantParam("_since", "yesterday", false); err == nil {
		t.Error("accepted a non-date")
	}
}

func TestProcessingOrder(t *testing.T) {
	var entries []*bundleEntry
	for i, m := range []string{"GET", "PUT", "POST", "DELETE", "PATCH", "POST", "HEAD", "DELETE"} {
		entries = append(entries, &bundleEntry{index: i, method: m})
	}
	var got []int
	for _, e := range processingOrder(entries) {
		got = append(got, e.index)
	}
	// DELETE, then POST, then PUT/PATCH, then GET/HEAD; stable within each.
	if want := []int{3, 7, 2, 5, 1, 4, 0, 6}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestWalkReferences(t *testing.T) {
	res, _ := fhir.Unmarshal([]byte(`{"resourceType":"Observation",
		"subject":{"reference":"urn:uuid:1"},
		"extension":[{"url":"x","valueReference":{"reference":"urn:uuid:1"}}],
		"contained":[{"resourceType":"Provenance","target":[{"reference":"urn:uuid:2"}]}],
		"note":[{"text":"reference"}],"identifier":[{"value":"reference"}]}`))
	var seen []string
	fhir.WalkReferences(map[string]any(res), func(ref string) (string, bool) {
		seen = append(seen, ref)
		return "Patient/" + ref[len(ref)-1:], true
	})
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"urn:uuid:1", "urn:uuid:1", "urn:uuid:2"}) {
		t.Errorf("references seen: %v", seen)
	}
	out, _ := fhir.Marshal(res)
	for _, want := range []string{`"subject":{"reference":"Patient/1"}`, `"valueReference":{"reference":"Patient/1"}`, `"target":[{"reference":"Patient/2"}]`} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).Match(out) {
			t.Errorf("rewritten resource lacks %s: %s", want, out)
		}
	}
}

func TestConditionalReference(t *testing.T) {
	tests := []struct {
		ref, typ, query string
		ok              bool
	}{
		{"Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|G1", "Practitioner", "identifier=https://fhir.nhs.uk/Id/sds-user-id|G1", true},
		{"Patient/123", "", "", false},
		{"http://example.org/fhir/Patient?identifier=1", "", "", false},
		{"Nonsense?identifier=1", "", "", false},
	}
	for _, tt := range tests {
		typ, query, ok := conditionalReference(tt.ref)
		if typ != tt.typ || query != tt.query || ok != tt.ok {
			t.Errorf("%s = %q %q %t", tt.ref, typ, query, ok)
		}
	}
}

func TestMatchesQueryAgreesWithIndex(t *testing.T) {
	res, _ := fhir.Unmarshal([]byte(`{"resourceType":"Practitioner","identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"G1"},{"value":"local-7"}]}`))
	tests := []struct {
		query string
		want  bool
	}{
		{"identifier=https://fhir.nhs.uk/Id/sds-user-id|G1", true},
		{"identifier=G1", true},
		{"identifier=|G1", false},
		{"identifier=|local-7", true},
		{"identifier=https://fhir.nhs.uk/Id/sds-user-id|", true},
		{"identifier=other|G1", false},
		{"_id=p1", true},
		{"_id=p2", false},
	}
	for _, tt := range tests {
		values, _ := url.ParseQuery(tt.query)
		q, err := findQuery("Practitioner", values)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchesQuery(q, "p1", res); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.query, got, tt.want)
		}
	}
}

func TestNewID(t *testing.T) {
	id := newID()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) || checkID(id) != nil {
		t.Errorf("newID() = %q is not a version 7 UUID usable as a FHIR id", id)
	}
	if newID() == id {
		t.Error("two ids alike")
	}
	time.Sleep(2 * time.Millisecond)
	if later := newID(); later <= id {
		t.Errorf("ids are not time-ordered: %s then %s", id, later)
	}
}
