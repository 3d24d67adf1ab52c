package sqlstore

import (
	"fmt"
	"strings"
	"testing"
)

// TestDictionaryBounded: a server's copy of a dictionary stops
// growing at maxCachedNames, the names remembered last taking the
// places of others (names it lacks are looked up in the store), and the
// empty name is 0 without an entry.
func TestDictionaryBounded(t *testing.T) {
	var c dictionary
	if sid, ok := c.id(""); !ok || sid != 0 {
		t.Errorf("the empty name: %d, %v; want 0, true", sid, ok)
	}
	for batch := range 3 {
		ids := map[string]int64{}
		for i := range maxCachedNames / 2 {
			n := batch*maxCachedNames + i + 1
			ids[fmt.Sprintf("http://example.org/%d", n)] = int64(n)
		}
		c.remember(ids)
	}
	if len(c.ids) != maxCachedNames {
		t.Errorf("%d systems kept in memory, want at most %d", len(c.ids), maxCachedNames)
	}
	c.remember(map[string]int64{"http://example.org/last": 99})
	if sid, ok := c.id("http://example.org/last"); !ok || sid != 99 {
		t.Errorf("a system remembered last: %d, %v", sid, ok)
	}
	if len(c.ids) != maxCachedNames {
		t.Errorf("%d systems kept after one more, want %d", len(c.ids), maxCachedNames)
	}
	if _, ok := c.id("http://example.org/never"); ok {
		t.Error("a system never remembered is known")
	}
}

// TestUnnumberedName: index rows made with a name that numberNames did
// not number fail the write rather than take 0, another name's number
// (the empty system's, or no patient).
func TestUnnumberedName(t *testing.T) {
	tx := &tx{s: &Store{}, numbered: numbered{}}
	tx.s.systems.remember(map[string]int64{"http://loinc.org": 7})
	tx.numbered[&tx.s.params] = map[string]int64{"code": 3}
	if got := tx.systemID("http://loinc.org") + tx.paramID("code") + tx.systemID(""); got != 10 {
		t.Errorf("numbered names: %d, want 7 + 3 + 0", got)
	}
	if err := tx.unnumberedName(); err != nil {
		t.Errorf("every name numbered: %v", err)
	}
	tx.patientID("p1")
	tx.systemID("http://snomed.info/sct")
	if err := tx.unnumberedName(); err == nil || !strings.Contains(err.Error(), `"p1"`) {
		t.Errorf("a patient never numbered: %v, want an error naming the first such name, p1", err)
	}
}
