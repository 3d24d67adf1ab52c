package storetest

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Letters returns n pseudo-random lower-case letters, the same for a seed.
// Unlike a repeated letter they do not compress, so PostgreSQL cannot
// squeeze an over-long index entry under its btree limit.
func Letters(n int, seed uint64) string {
	b := make([]byte, n)
	x := seed*0x9E3779B97F4A7C15 | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = 'a' + byte(x%26)
	}
	return string(b)
}

// testLongValues: values far over search.MaxIndexBytes are stored (the
// index keeps their first bytes) and found by searching for the whole
// value, with every parameter type that keeps text.
func testLongValues(t *testing.T, s store.Store) {
	family, given := Letters(3000, 1), "Émile"+Letters(2000, 2)
	system, ident := "urn:oid:1.2."+strings.Repeat("7", 600), Letters(3000, 3)
	code, text := Letters(3000, 4), Letters(8000, 5)
	vsURL := "http://example.org/fhir/ValueSet/" + Letters(3000, 6)
	performer := "http://other.example/fhir/Practitioner/" + Letters(3000, 7)
	putResources(t, s,
		fmt.Sprintf(`{"resourceType":"Patient","id":"lp1","name":[{"family":%q,"given":[%q]}],"identifier":[{"system":%q,"value":%q}]}`, family, given, system, ident),
		// lp2 shares the first MaxIndexBytes bytes of lp1's family name,
		// lp3 fewer.
		fmt.Sprintf(`{"resourceType":"Patient","id":"lp2","name":[{"family":%q}]}`, family[:search.MaxIndexBytes]+"-other"),
		fmt.Sprintf(`{"resourceType":"Patient","id":"lp3","name":[{"family":%q}]}`, family[:search.MaxIndexBytes-1]+"-other"),
		fmt.Sprintf(`{"resourceType":"Observation","id":"lo1","status":"final","code":{"coding":[{"system":"http://example.org/codes","code":%q}]},
			"subject":{"reference":"Patient/lp1"},"performer":[{"reference":%q}],"valueString":%q,
			"component":[{"code":{"coding":[{"system":"http://example.org/codes","code":%q}]},"valueString":%q}]}`, code, performer, text, code, text),
		fmt.Sprintf(`{"resourceType":"ValueSet","id":"lvs","url":%q,"status":"active"}`, vsURL),
	)
	e := url.QueryEscape
	tests := []struct {
		typ, query, want string
	}{
		{"Patient", "family=" + e(family[:20]), "lp1,lp2,lp3"},
		{"Patient", "family=" + e(family[:search.MaxIndexBytes]), "lp1,lp2"},
		{"Patient", "given=" + e(given), "lp1"},
		{"Patient", "name:contains=" + e(family[100:300]), "lp1,lp2,lp3"},
		{"Patient", "identifier=" + e(system+"|"+ident), "lp1"},
		{"Patient", "identifier=" + e(system+"|"), "lp1"},
		{"Observation", "code=" + e("http://example.org/codes|"+code), "lo1"},
		{"Observation", "value-string=" + e(text), "lo1"},
		{"Observation", "value-string:exact=" + e(text), "lo1"},
		{"Observation", "code-value-string=" + e("http://example.org/codes|"+code+"$"+text), "lo1"},
		{"Observation", "performer=" + e(performer), "lo1"},
		{"Observation", "subject:Patient.family:exact=" + e(family), "lo1"},
		{"ValueSet", "url=" + e(vsURL), "lvs"},
		{"ValueSet", "url:below=" + e(vsURL[:600]), "lvs"},
		// The stated deviation: values sharing the first MaxIndexBytes
		// bytes are not told apart.
		{"Patient", "family=" + e(family), "lp1,lp2"},
		{"Patient", "family:exact=" + e(family), "lp1,lp2"},
	}
	for _, tt := range tests {
		got := runQuery(t, s, tt.typ, tt.query)
		if want := strings.Split(tt.want, ","); !reflect.DeepEqual(got, want) {
			t.Errorf("%s?%.60s...: %v, want %v", tt.typ, tt.query, got, want)
		}
	}
	ids, err := s.Find(context.Background(), store.FindQuery{Type: "Patient", Criteria: []store.Criterion{{Param: "identifier", System: system, Code: ident}}})
	if err != nil || !reflect.DeepEqual(ids, []string{"lp1"}) {
		t.Errorf("Find by a long identifier: %v, %v", ids, err)
	}
}
