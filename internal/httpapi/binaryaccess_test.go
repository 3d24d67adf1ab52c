package httpapi_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// binaryCases are Binaries whose securityContext names each kind of
// thing, and who should reach them: the model of the rule, written here
// apart from the server's code. For staff and patients, reach says whether
// the actor reaches it given the patients they reach.
var binaryCases = []struct {
	id, context string
	reach       func(a actor) bool
}{
	{"b-pa1", "Patient/pa1", func(a actor) bool { return a.reaches["pa1"] }},
	{"b-pb1", "Patient/pb1", func(a actor) bool { return a.reaches["pb1"] }},
	{"b-doc-pa1", "DocumentReference/doc-pa1", func(a actor) bool { return a.reaches["pa1"] }},
	{"b-doc-pb1", "DocumentReference/doc-pb1", func(a actor) bool { return a.reaches["pb1"] }},
	// A record of no patient is shared by practices, as such a record is.
	{"b-doc-nobody", "DocumentReference/doc-nobody", func(a actor) bool { return a.principal.Practice != "" }},
	// Reference data.
	{"b-org", "Organization/org-a", func(actor) bool { return true }},
	// A record that is gone, or never was, and no securityContext at all:
	// nobody restricted.
	{"b-doc-gone", "DocumentReference/doc-gone", func(actor) bool { return false }},
	{"b-doc-never", "DocumentReference/doc-never", func(actor) bool { return false }},
	{"b-binary", "Binary/b-pa1", func(actor) bool { return false }},
	{"b-none", "", func(actor) bool { return false }},
}

// TestBinaryAccess: a Binary is reached as what its securityContext names
// is, for every role, by read and by search alike (the per-resource check
// and the search's SQL agree), on each store; a scanned letter of one
// practice's patient is another practice's 404.
func TestBinaryAccess(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			w := newWorld(t, so.open(t))
			admin := w.token(t, &auth.Principal{Subject: "seed", Role: auth.RoleSystem, ClientID: "seed"}, "system/*.cruds")
			doc := func(id, patient string) {
				d := map[string]any{"resourceType": "DocumentReference", "id": id, "status": "current",
					"content": []any{map[string]any{"attachment": map[string]any{"contentType": "application/pdf"}}}}
				if patient != "" {
					d["subject"] = map[string]any{"reference": "Patient/" + patient}
				}
				w.ts.do("PUT", "/fhir/DocumentReference/"+id, d, "Authorization", admin).expect(t, http.StatusCreated)
			}
			doc("doc-pa1", "pa1")
			doc("doc-pb1", "pb1")
			doc("doc-nobody", "")
			doc("doc-gone", "pa1")
			w.ts.do("DELETE", "/fhir/DocumentReference/doc-gone", nil, "Authorization", admin).expect(t, http.StatusNoContent)
			for _, c := range binaryCases {
				b := map[string]any{"resourceType": "Binary", "id": c.id, "contentType": "application/pdf", "data": "JVBERi0xLjQK"}
				if c.context != "" {
					b["securityContext"] = map[string]any{"reference": c.context}
				}
				w.ts.do("PUT", "/fhir/Binary/"+c.id, b, "Authorization", admin).expect(t, http.StatusCreated)
			}

			for _, a := range actors() {
				t.Run(a.name, func(t *testing.T) {
					p := a.principal
					tok := w.token(t, &p, auth.RoleScopes[a.principal.Role])
					all := a.principal.Role == auth.RoleSystem
					var want []string
					for _, c := range binaryCases {
						if all || c.reach(a) {
							want = append(want, c.id)
						}
					}
					sort.Strings(want)
					readable := a.principal.Role != auth.RoleReceptionist
					for _, c := range binaryCases {
						r := w.ts.do("GET", "/fhir/Binary/"+c.id, nil, "Authorization", tok, "Accept", "application/fhir+json")
						status := http.StatusOK
						switch {
						case !readable:
							status = http.StatusForbidden
						case !slices.Contains(want, c.id):
							status = http.StatusNotFound
						}
						if r.status != status {
							t.Errorf("read %s (securityContext %q): %d, want %d", c.id, c.context, r.status, status)
						}
					}
					if !readable {
						return
					}
					r := w.ts.do("GET", "/fhir/Binary?_count=100", nil, "Authorization", tok).expect(t, http.StatusOK)
					if got := ids(r, "Binary", "match"); strings.Join(got, ",") != strings.Join(want, ",") {
						t.Errorf("search found %v, reads reach %v", got, want)
					}
				})
			}

			// The audit trail files each Binary under the patient its
			// securityContext leads to: reads and writes alike.
			w.trail.Flush()
			r := w.ts.do("GET", "/fhir/AuditEvent?patient=Patient/pa1&_count=1000", nil, "Authorization", admin).expect(t, http.StatusOK)
			for _, id := range []string{"b-pa1", "b-doc-pa1"} {
				if !strings.Contains(string(r.raw), `"Binary/`+id+`"`) {
					t.Errorf("no audit event of Patient/pa1 names Binary/%s", id)
				}
			}
			if strings.Contains(string(r.raw), `"Binary/b-doc-pb1"`) || strings.Contains(string(r.raw), `"Binary/b-pb1"`) {
				t.Errorf("the audit trail of Patient/pa1 names another patient's Binary")
			}
			r = w.ts.do("GET", "/fhir/AuditEvent?patient=Patient/pb1&_count=1000", nil, "Authorization", admin).expect(t, http.StatusOK)
			if !strings.Contains(string(r.raw), `"Binary/b-doc-pb1"`) {
				t.Errorf("no audit event of Patient/pb1 names Binary/b-doc-pb1")
			}

			// Writes: staff may not put a Binary out of their own reach.
			gp := w.token(t, &auth.Principal{Subject: "u-gp", Role: auth.RoleGP, Practice: "org-a"}, auth.RoleScopes[auth.RoleGP])
			for ctx, status := range map[string]int{"Patient/pa1": 201, "DocumentReference/doc-pa1": 201, "Patient/pb1": 403, "DocumentReference/doc-pb1": 403, "": 403} {
				b := map[string]any{"resourceType": "Binary", "contentType": "text/plain", "data": "aGk="}
				if ctx != "" {
					b["securityContext"] = map[string]any{"reference": ctx}
				}
				if r := w.ts.do("POST", "/fhir/Binary", b, "Authorization", gp); r.status != status {
					t.Errorf("GP of org-a writes a Binary for %q: %d, want %d: %s", ctx, r.status, status, r.raw)
				}
			}
			// Nor change one of another practice's patient into theirs.
			b := map[string]any{"resourceType": "Binary", "id": "b-doc-pb1", "contentType": "text/plain", "data": "aGk=",
				"securityContext": map[string]any{"reference": "Patient/pa1"}}
			w.ts.do("PUT", "/fhir/Binary/b-doc-pb1", b, "Authorization", gp).expect(t, http.StatusNotFound)
		})
	}
}
