package sqlstore

import (
	"fmt"
	"testing"
)

// TestDictionaryBounded: a server's copy of a dictionary stops
// growing at maxCachedNames (names past it are looked up in the
// store), and the empty name is 0 without an entry.
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
	if sid, ok := c.id("http://example.org/1"); !ok || sid != 1 {
		t.Errorf("a system remembered first: %d, %v", sid, ok)
	}
	if _, ok := c.id("http://example.org/never"); ok {
		t.Error("a system never remembered is known")
	}
}
