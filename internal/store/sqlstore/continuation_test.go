package sqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
)

func TestContinuation(t *testing.T) {
	c := continuation{Type: "Observation", ID: "01a23616-453e-71c2-9f85-36794e6d87c4"}
	tok := c.token("patients:p1")
	for _, tt := range []struct {
		name, id, access string
		want             continuation
		ok               bool
		err              error
	}{
		{"its own", tok, "patients:p1", c, true, nil},
		{"pointing back", continuation{Type: c.Type, ID: c.ID, Back: true}.token("patients:p1"), "patients:p1", continuation{Type: c.Type, ID: c.ID, Back: true}, true, nil},
		{"pointing back, another access condition", continuation{Type: c.Type, ID: c.ID, Back: true}.token("patients:p1"), "", continuation{}, true, store.ErrSearchExpired},
		{"past the cut", continuation{Type: c.Type, ID: c.ID, Past: true}.token("patients:p1"), "patients:p1", continuation{Type: c.Type, ID: c.ID, Past: true}, true, nil},
		{"past the cut, another access condition", continuation{Type: c.Type, ID: c.ID, Past: true}.token("patients:p1"), "", continuation{}, true, store.ErrSearchExpired},
		{"a stored list's id", "0f3c9a2b7d1e4f5a8b6c0d9e1f2a3b4c", "patients:p1", continuation{}, false, nil},
		{"another access condition", tok, "", continuation{}, true, store.ErrSearchExpired},
		{"a part missing", strings.Join(strings.Split(tok, ".")[:3], "."), "patients:p1", continuation{}, true, store.ErrSearchExpired},
		{"not base64", continuationPrefix + "!!." + strings.SplitN(tok, ".", 3)[2], "patients:p1", continuation{}, true, store.ErrSearchExpired},
		{"empty parts", continuationPrefix + ".." + accessDigest("patients:p1"), "patients:p1", continuation{}, true, store.ErrSearchExpired},
		// Tokens of the (type, id) order, before the nineteenth migration.
		{"of the earlier order", "c1" + strings.TrimPrefix(tok, "c2"), "patients:p1", continuation{}, true, store.ErrSearchExpired},
		{"of the earlier order, pointing back", "b1" + strings.TrimPrefix(tok, "c2"), "patients:p1", continuation{}, true, store.ErrSearchExpired},
		{"of the earlier order, past the cut", "a1" + strings.TrimPrefix(tok, "c2"), "patients:p1", continuation{}, true, store.ErrSearchExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseContinuation(tt.id, tt.access)
			if got != tt.want || ok != tt.ok || !errors.Is(err, tt.err) {
				t.Errorf("parseContinuation(%q) = %+v, %v, %v; want %+v, %v, %v", tt.id, got, ok, err, tt.want, tt.ok, tt.err)
			}
		})
	}
}

// FuzzContinuation: any search id parses without panicking, a
// continuation's token reads back as itself, and a token is safe in a
// URL's query unescaped.
func FuzzContinuation(f *testing.F) {
	f.Add("Patient", "abc", "patients:p1", "c1.UGF0aWVudA.YWJj.00")
	f.Add("Patient", "abc", "patients:p1", "c2.UGF0aWVudA.YWJj.00")
	f.Add("Observation", "01a23616-453e-71c2", "", "0f3c9a2b")
	f.Add("Encounter", "e1", "", "b1.RW5jb3VudGVy.ZTE.00")
	f.Add("Encounter", "e2", "", "a1.RW5jb3VudGVy.ZTI.00")
	f.Fuzz(func(t *testing.T, typ, id, access, raw string) {
		_, _, _ = parseContinuation(raw, access)
		if typ == "" || id == "" {
			return
		}
		back, past := len(raw)%3 == 1, len(raw)%3 == 2
		tok := continuation{Type: typ, ID: id, Back: back, Past: past}.token(access)
		if strings.ContainsAny(tok, "&=+/?# %") {
			t.Fatalf("token %q needs escaping in a URL", tok)
		}
		got, ok, err := parseContinuation(tok, access)
		if !ok || err != nil || got.Type != typ || got.ID != id || got.Back != back || got.Past != past {
			t.Fatalf("token %q read back as %+v, %v, %v", tok, got, ok, err)
		}
	})
}
