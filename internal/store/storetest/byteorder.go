package storetest

import (
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// byteOrderIDs are valid FHIR ids whose byte order differs from a
// linguistic one (case, punctuation, digits): a collation other than
// bytewise orders them differently.
var byteOrderIDs = []string{"b", "B", "a", "A", "Z", "z", "-u", "0", "a-b", "aB", "a.b", "ab"}

// ByteOrderIDs are the ids PutByteOrderIDs writes, in byte order.
func ByteOrderIDs() []string { return slices.Sorted(slices.Values(byteOrderIDs)) }

// testIDsInByteOrder: searches page in the ids' byte order, Go's string
// order, whatever the database's locale (PostgreSQL's keys are COLLATE
// "C" from the tenth migration; SQLite compares bytes).
func testIDsInByteOrder(t *testing.T, s store.Store) {
	PutByteOrderIDs(t, s)
	IDsInByteOrder(t, s)
}

// IDsInByteOrder checks that the Patients PutByteOrderIDs wrote come
// back in byte order, on the first page (ordered from the index rows)
// and sorted by _id; a test of an upgraded store calls it again.
func IDsInByteOrder(t *testing.T, s store.Store) {
	t.Helper()
	want := ByteOrderIDs()
	for _, query := range []string{"gender=unknown&_count=50", "gender=unknown&_count=50&_sort=_id"} {
		_, page := firstPage(t, s, "Patient", query)
		var got []string
		for _, v := range page.Matches {
			got = append(got, v.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Patient?%s: ids %q, want byte order %q", query, got, want)
		}
	}
}

// PutByteOrderIDs writes testIDsInByteOrder's Patients (for a test that
// then changes the store underneath and checks them again).
func PutByteOrderIDs(t *testing.T, s store.Store) {
	t.Helper()
	var ws []store.Write
	for i, id := range byteOrderIDs {
		ws = append(ws, write("Patient", id, 1, i, search.TokenValue{Param: "gender", Code: "unknown"}))
	}
	put(t, s, ws...)
}
