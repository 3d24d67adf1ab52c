package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

func (r response) entryIDs(mode string) []string {
	var ids []string
	entries, _ := r.body["entry"].([]any)
	for _, e := range entries {
		em := e.(map[string]any)
		if em["search"].(map[string]any)["mode"] != mode {
			continue
		}
		res := em["resource"].(map[string]any)
		id, _ := res["id"].(string)
		ids = append(ids, res["resourceType"].(string)+"/"+id)
	}
	sort.Strings(ids)
	return ids
}

func (r response) link(rel string) string {
	links, _ := r.body["link"].([]any)
	for _, l := range links {
		lm := l.(map[string]any)
		if lm["relation"] == rel {
			return lm["url"].(string)
		}
	}
	return ""
}

func seedSearch(ts *testServer) {
	for _, res := range []string{
		`{"resourceType":"Patient","id":"a","name":[{"family":"Ørsted","given":["Hans"]}],"gender":"male","birthDate":"1977-08-14"}`,
		`{"resourceType":"Patient","id":"b","name":[{"family":"Orwell","given":["George"]}],"gender":"male","birthDate":"1903-06-25"}`,
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2024-01-02","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		`{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2024-02-02","valueQuantity":{"value":80,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		`{"resourceType":"Observation","id":"o3","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/b"},"effectiveDateTime":"2024-03-02"}`,
	} {
		id := strings.Split(strings.Split(res, `"id":"`)[1], `"`)[0]
		typ := strings.Split(strings.Split(res, `"resourceType":"`)[1], `"`)[0]
		ts.do("PUT", "/fhir/"+typ+"/"+id, res).expect(ts.t.(*testing.T), http.StatusCreated)
	}
}

func TestSearchAPI(t *testing.T) {
	ts := newTestServer(t)
	seedSearch(ts)
	tests := []struct {
		path string
		want string
	}{
		{"/fhir/Patient?name=orsted", "Patient/a"},
		{"/fhir/Patient?name=or", "Patient/a,Patient/b"},
		{"/fhir/Patient?birthdate=lt1950", "Patient/b"},
		{"/fhir/Observation?subject=Patient/a&code=http://loinc.org|8867-4", "Observation/o1,Observation/o2"},
		{"/fhir/Observation?value-quantity=gt75", "Observation/o2"},
		{"/fhir/Observation?subject:Patient.name=orwell", "Observation/o3"},
		{"/fhir/Patient?_has:Observation:subject:value-quantity=72", "Patient/a"},
		{"/fhir/Patient/a/Observation", "Observation/o1,Observation/o2"},
		{"/fhir/Patient/a/Observation?date=ge2024-02", "Observation/o2"},
		{"/fhir?_type=Patient&gender=male&_id=b", "Patient/b"},
	}
	for _, tc := range tests {
		r := ts.do("GET", tc.path, nil).expect(t, http.StatusOK)
		if got := strings.Join(r.entryIDs("match"), ","); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.path, got, tc.want)
		}
		if r.str("type") != "searchset" {
			t.Errorf("%s: bundle type %q", tc.path, r.str("type"))
		}
	}

	// POST _search with a form body is the same search.
	req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/Observation/_search", strings.NewReader(url.Values{"subject": {"Patient/b"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST _search: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	// _include and _revinclude entries are marked include.
	r := ts.do("GET", "/fhir/Observation?_id=o3&_include=Observation:subject", nil).expect(t, http.StatusOK)
	if got := strings.Join(r.entryIDs("include"), ","); got != "Patient/b" {
		t.Errorf("_include: %s", got)
	}
	r = ts.do("GET", "/fhir/Patient?_id=b&_revinclude=Observation:subject", nil).expect(t, http.StatusOK)
	if got := strings.Join(r.entryIDs("include"), ","); got != "Observation/o3" {
		t.Errorf("_revinclude: %s", got)
	}

	// _sort, _count, paging links and total.
	r = ts.do("GET", "/fhir/Observation?_sort=-date&_count=2", nil).expect(t, http.StatusOK)
	if r.body["total"] == nil || r.body["total"].(interface{ String() string }).String() != "3" {
		t.Errorf("total = %v", r.body["total"])
	}
	entries := r.body["entry"].([]any)
	if first := entries[0].(map[string]any)["resource"].(map[string]any)["id"]; first != "o3" {
		t.Errorf("_sort=-date: first %v", first)
	}
	next := r.link("next")
	if next == "" {
		t.Fatal("no next link")
	}
	r2 := ts.do("GET", next, nil).expect(t, http.StatusOK)
	if got := strings.Join(r2.entryIDs("match"), ","); got != "Observation/o1" {
		t.Errorf("page 2 = %s", got)
	}
	if r2.link("previous") == "" || r2.link("next") != "" {
		t.Errorf("page 2 links: %v", r2.body["link"])
	}

	// _summary=count gives only the total.
	r = ts.do("GET", "/fhir/Observation?_summary=count", nil).expect(t, http.StatusOK)
	if r.body["entry"] != nil && len(r.body["entry"].([]any)) > 0 || r.body["total"] == nil {
		t.Errorf("_summary=count: %s", r.raw)
	}
}

func TestSearchErrors(t *testing.T) {
	ts := newTestServer(t)
	seedSearch(ts)
	// Lenient by default: unknown parameters are ignored and left out of self.
	r := ts.do("GET", "/fhir/Patient?gender=male&colour=blue", nil).expect(t, http.StatusOK)
	if self := r.link("self"); strings.Contains(self, "colour") || !strings.Contains(self, "gender=male") {
		t.Errorf("self link %s", self)
	}
	if len(r.entryIDs("outcome")) != 1 {
		t.Errorf("no OperationOutcome entry for the ignored parameter")
	}
	// Strict: 400 naming the parameter.
	r = ts.do("GET", "/fhir/Patient?gender=male&colour=blue", nil, "Prefer", "handling=strict").expect(t, http.StatusBadRequest)
	if !strings.Contains(string(r.raw), "colour") {
		t.Errorf("strict error does not name the parameter: %s", r.raw)
	}
	for _, path := range []string{"/fhir/Patient?birthdate=1977-99", "/fhir/Patient?birthdate=xx1977", "/fhir/Observation?value-quantity=abc", "/fhir/Patient?_count=x", "/fhir/Patient?_sort=unknown"} {
		r := ts.do("GET", path, nil).expect(t, http.StatusBadRequest)
		if r.str("resourceType") != "OperationOutcome" {
			t.Errorf("%s: not an OperationOutcome", path)
		}
	}
	ts.do("GET", "/fhir/Patient?_search=expired&_offset=10", nil).expect(t, http.StatusGone)
}

func TestEverything(t *testing.T) {
	ts := newTestServer(t)
	seedSearch(ts)
	ts.do("PUT", "/fhir/Practitioner/dr", `{"resourceType":"Practitioner","id":"dr","name":[{"family":"Who"}]}`).expect(t, http.StatusCreated)
	ts.do("PUT", "/fhir/Encounter/e1", `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/a"},"participant":[{"individual":{"reference":"Practitioner/dr"}}]}`).expect(t, http.StatusCreated)
	r := ts.do("GET", "/fhir/Patient/a/$everything", nil).expect(t, http.StatusOK)
	if got := strings.Join(r.entryIDs("match"), ","); got != "Encounter/e1,Observation/o1,Observation/o2,Patient/a" {
		t.Errorf("$everything matches: %s", got)
	}
	if got := strings.Join(r.entryIDs("include"), ","); got != "Practitioner/dr" {
		t.Errorf("$everything includes: %s", got)
	}
	r = ts.do("GET", "/fhir/Patient/a/$everything?_type=Observation&_count=1", nil).expect(t, http.StatusOK)
	if got := strings.Join(r.entryIDs("match"), ","); got != "Observation/o1" || !strings.Contains(r.link("next"), "%24everything") && !strings.Contains(r.link("next"), "$everything") {
		t.Errorf("$everything page 1: %s, next %q", got, r.link("next"))
	}
	r2 := ts.do("GET", r.link("next"), nil).expect(t, http.StatusOK)
	if got := strings.Join(r2.entryIDs("match"), ","); got != "Observation/o2" {
		t.Errorf("$everything page 2: %s", got)
	}
	// One entry a page: the patient and its records are matches on their
	// own pages, never includes of another page; the practitioner is
	// included where the encounter is.
	var matches, includes []string
	for next := "/fhir/Patient/a/$everything?_count=1"; next != ""; next = r.link("next") {
		r = ts.do("GET", next, nil).expect(t, http.StatusOK)
		matches = append(matches, r.entryIDs("match")...)
		includes = append(includes, r.entryIDs("include")...)
	}
	if got := strings.Join(matches, ",") + " | " + strings.Join(includes, ","); got != "Encounter/e1,Observation/o1,Observation/o2,Patient/a | Practitioner/dr" {
		t.Errorf("$everything one a page: matches | includes = %s", got)
	}
	r = ts.do("GET", "/fhir/Patient/a/$everything?_since=2999-01-01T00:00:00Z", nil).expect(t, http.StatusOK)
	if n := len(r.entryIDs("match")); n != 0 {
		t.Errorf("_since in the future: %d matches", n)
	}
	ts.do("GET", "/fhir/Patient/nobody/$everything", nil).expect(t, http.StatusNotFound)
	ts.do("GET", "/fhir/Patient/a/$everything?_type=Nope", nil).expect(t, http.StatusBadRequest)
}

// TestSearchPagesFollowOn: the next links of a search in the default order
// led by a parameter (its first page stores no list: a continuation) lead
// through every match once, whatever is written between the pages, and a
// later page's previous link leads back.
func TestSearchPagesFollowOn(t *testing.T) {
	ts := newTestServer(t)
	obs := func(id string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2024-01-02"}`
	}
	for i := 1; i <= 12; i++ {
		id := "o" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		ts.do("PUT", "/fhir/Observation/"+id, obs(id)).expect(t, http.StatusCreated)
	}
	r := ts.do("GET", "/fhir/Observation?code=http://loinc.org|8867-4&_count=5", nil).expect(t, http.StatusOK)
	if got := strings.Join(r.entryIDs("match"), ","); got != "Observation/o01,Observation/o02,Observation/o03,Observation/o04,Observation/o05" || fmt.Sprint(r.body["total"]) != "12" {
		t.Fatalf("page 1: %s, total %v", got, r.body["total"])
	}
	// Two created (o00 sorts before the page's last by id, but pages are
	// in the order the store first named resources, so both follow it),
	// and one not yet shown gone. (entryIDs sorts a page's ids.)
	ts.do("PUT", "/fhir/Observation/o00", obs("o00")).expect(t, http.StatusCreated)
	ts.do("PUT", "/fhir/Observation/o99", obs("o99")).expect(t, http.StatusCreated)
	ts.do("DELETE", "/fhir/Observation/o08", nil).expect(t, http.StatusNoContent)

	var pages []string
	var second response
	for next := r.link("next"); next != ""; next = r.link("next") {
		r = ts.do("GET", next, nil).expect(t, http.StatusOK)
		if second.body == nil {
			second = r
		}
		pages = append(pages, strings.Join(r.entryIDs("match"), ","))
	}
	want := []string{"Observation/o06,Observation/o07,Observation/o09,Observation/o10,Observation/o11", "Observation/o00,Observation/o12,Observation/o99"}
	if strings.Join(pages, " | ") != strings.Join(want, " | ") {
		t.Errorf("pages after the first:\n%s\nwant\n%s", strings.Join(pages, "\n"), strings.Join(want, "\n"))
	}
	back := ts.do("GET", second.link("previous"), nil).expect(t, http.StatusOK)
	if got := strings.Join(back.entryIDs("match"), ","); got != "Observation/o01,Observation/o02,Observation/o03,Observation/o04,Observation/o05" {
		t.Errorf("previous from page 2: %s", got)
	}
}
