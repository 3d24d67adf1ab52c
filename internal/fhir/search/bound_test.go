package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

func TestIndexPrefix(t *testing.T) {
	a := strings.Repeat("a", MaxIndexBytes)
	tests := []struct {
		name, in, want string
	}{
		{"short", "Smith", "Smith"},
		{"empty", "", ""},
		{"exactly the bound", a, a},
		{"one byte over", a + "b", a},
		{"far over", a + strings.Repeat("x", 8000), a},
		// A two-byte character straddling the bound is left out whole.
		{"character across the bound", a[1:] + "ë" + "x", a[1:]},
		{"character ending at the bound", a[2:] + "ë" + "x", a[2:] + "ë"},
		{"four-byte characters", strings.Repeat("𝄞", 200), strings.Repeat("𝄞", MaxIndexBytes/4)},
	}
	for _, tt := range tests {
		got := IndexPrefix(tt.in)
		if got != tt.want {
			t.Errorf("%s: IndexPrefix gave %d bytes, want %d", tt.name, len(got), len(tt.want))
		}
		if len(got) > MaxIndexBytes || !utf8.ValidString(got) || !strings.HasPrefix(tt.in, got) {
			t.Errorf("%s: %d bytes, valid UTF-8 %v: not a bounded prefix", tt.name, len(got), utf8.ValidString(got))
		}
	}
}

// TestIndexEntryBound: the largest entry of the widest lookup index, the
// token index's (type, param, code, system), stays well under PostgreSQL's
// 2,704-byte btree limit (here: under half of it), whatever the type and
// parameter.
func TestIndexEntryBound(t *testing.T) {
	longestType, longestParam := 0, 0
	for _, rt := range definitions.ResourceTypes() {
		longestType = max(longestType, len(rt))
		for _, p := range Params(rt) {
			longestParam = max(longestParam, len(p.Code+":identifier"))
		}
	}
	// Tuple header and item pointer, and a 4-byte length before each column.
	const overhead = 8 + 4 + 4*4
	entry := overhead + longestType + longestParam + 2*MaxIndexBytes
	if entry > 2704/2 {
		t.Errorf("largest token index entry %d bytes: over half of PostgreSQL's 2704-byte limit", entry)
	}
	t.Logf("largest token index entry: %d bytes (type %d, param %d)", entry, longestType, longestParam)
}
