package service

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestTentativeReferencesChangedMeanwhile: a transaction whose conditional
// reference is resolved before it (transaction_tentative.go) writes what
// the reference names when the transaction runs. Between the two another
// request renames the practitioner first found and gives another the
// identifier, or deletes the first: the Encounter then names the second,
// or the transaction fails with 412 and writes nothing. Unchanged, the
// prepared writes are used and name the first.
func TestTentativeReferencesChangedMeanwhile(t *testing.T) {
	for _, st := range storetest.Openers() {
		t.Run(st.Name, func(t *testing.T) {
			tests := []struct {
				name      string
				before    func(t *testing.T, s *Service, first string)
				meanwhile func(t *testing.T, s *Service, first string) (want string)
				status    int
			}{
				// Nothing matches outside: the resources go back as sent
				// (undo) and the reference is resolved inside, where the
				// identifier has come back.
				{"no match outside, one inside", func(t *testing.T, s *Service, first string) {
					if _, err := s.Update(context.Background(), "Practitioner", first, practitioner(first, "other"), Precondition{}); err != nil {
						t.Fatal(err)
					}
				}, func(t *testing.T, s *Service, first string) string {
					if _, err := s.Update(context.Background(), "Practitioner", first, practitioner(first, "npi-1"), Precondition{}); err != nil {
						t.Fatal(err)
					}
					return first
				}, 0},
				{"unchanged", nil, func(t *testing.T, s *Service, first string) string { return first }, 0},
				{"identifier moved to another", nil, func(t *testing.T, s *Service, first string) string {
					renamed := practitioner(first, "other")
					if _, err := s.Update(context.Background(), "Practitioner", first, renamed, Precondition{}); err != nil {
						t.Fatal(err)
					}
					return create(t, s, practitioner("", "npi-1"))
				}, 0},
				{"deleted", nil, func(t *testing.T, s *Service, first string) string {
					if _, err := s.Delete(context.Background(), "Practitioner", first, Precondition{}); err != nil {
						t.Fatal(err)
					}
					return ""
				}, http.StatusPreconditionFailed},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					s := New(st.Open(t), Options{BaseURL: "http://gp.example/fhir"})
					ctx := context.Background()
					first := create(t, s, practitioner("", "npi-1"))
					if tc.before != nil {
						tc.before(t, s, first)
					}
					var want string
					ran := false
					afterTentative = func() { want, ran = tc.meanwhile(t, s, first), true }
					defer func() { afterTentative = nil }()
					visit := []any{map[string]any{"system": "http://example.org/visit", "value": "v"}}
					out, err := s.ProcessBundle(ctx, fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
						entry("urn:uuid:p1", fhir.Resource{"resourceType": "Patient", "name": []any{map[string]any{"family": "Tentative"}}}),
						entry("urn:uuid:e1", fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB"}, "identifier": visit,
							"subject":     map[string]any{"reference": "urn:uuid:p1"},
							"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner?identifier=http://example.org/npi|npi-1"}}}}),
						entry("urn:uuid:e2", fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB"}, "identifier": visit,
							"subject": map[string]any{"reference": "urn:uuid:p1"}}),
					}}, BundleOptions{})
					if !ran {
						t.Fatal("the bundle was not resolved tentatively")
					}
					q, qerr := findQuery("Encounter", url.Values{"identifier": {"http://example.org/visit|v"}})
					if qerr != nil {
						t.Fatal(qerr)
					}
					encounters, serr := s.store.Find(ctx, q)
					if serr != nil {
						t.Fatal(serr)
					}
					if tc.status != 0 {
						var fe *fhir.Error
						if !errors.As(err, &fe) || fe.Status != tc.status {
							t.Fatalf("ProcessBundle: %v, want %d", err, tc.status)
						}
						if len(encounters) != 0 {
							t.Fatalf("a failed transaction wrote %d Encounters", len(encounters))
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if len(encounters) != 2 {
						t.Fatalf("%d Encounters written, want 2 (%v)", len(encounters), out)
					}
					got := 0
					for _, id := range encounters {
						v, err := s.store.Read(ctx, "Encounter", id)
						if err != nil {
							t.Fatal(err)
						}
						r, err := fhir.Unmarshal(v.Body)
						if err != nil {
							t.Fatal(err)
						}
						if parts, ok := r["participant"].([]any); ok {
							ref := parts[0].(map[string]any)["individual"].(map[string]any)["reference"]
							if ref != "Practitioner/"+want {
								t.Fatalf("the Encounter names %v, want Practitioner/%s", ref, want)
							}
							got++
						}
					}
					if got != 1 {
						t.Fatalf("%d Encounters with a participant, want 1", got)
					}
				})
			}
		})
	}
}

func practitioner(id, npi string) fhir.Resource {
	r := fhir.Resource{"resourceType": "Practitioner", "identifier": []any{map[string]any{"system": "http://example.org/npi", "value": npi}}}
	if id != "" {
		r["id"] = id
	}
	return r
}

func create(t *testing.T, s *Service, r fhir.Resource) string {
	t.Helper()
	out, err := s.Create(context.Background(), r.Type(), r, "")
	if err != nil {
		t.Fatal(err)
	}
	return out.Version.ID
}

func entry(fullURL string, r fhir.Resource) any {
	return map[string]any{"fullUrl": fullURL, "resource": map[string]any(r), "request": map[string]any{"method": "POST", "url": r.Type()}}
}
