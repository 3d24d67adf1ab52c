package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestRedactedForPatient: a phrase a clinician removed from online
// access is in no answer the service gives the patient or their proxy
// (read, vread of the version before the redaction, history, search,
// $everything-style includes), while the GP reads the entry whole; a
// search by the entry's words is refused to the patient, not answered
// with a telling match.
func TestRedactedForPatient(t *testing.T) {
	st := storetest.Openers()[0].Open(t)
	svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
	ctx := context.Background()
	create := func(res fhir.Resource) string {
		t.Helper()
		out, err := svc.Create(ctx, res["resourceType"].(string), res, "")
		if err != nil {
			t.Fatal(err)
		}
		return out.Version.ID
	}
	practice := create(fhir.Resource{"resourceType": "Organization", "name": "The Surgery"})
	me := create(fhir.Resource{"resourceType": "Patient", "name": []any{map[string]any{"family": "Test"}},
		"managingOrganization": map[string]any{"reference": "Organization/" + practice}})
	openOnline(t, svc, st, me, "pat")
	const phrase = "husband's drinking"
	obs := fhir.Resource{"resourceType": "Observation", "status": "final",
		"subject":     map[string]any{"reference": "Patient/" + me},
		"code":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "35361000000106", "display": "Comment note"}}},
		"valueString": "Low mood. Her " + phrase + " is worse."}
	id := create(obs)
	cur, _ := svc.Read(ctx, "Observation", id)
	first, _ := fhir.Unmarshal(cur.Version.Body)
	marked := fhir.Resource(redaction.Add(first, phrase, "Practitioner/gp", "Dr A Patel", time.Now()))
	if _, err := svc.Update(ctx, "Observation", id, marked, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	as := func(role auth.Role) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: "pat", Role: role, Patients: []string{me}, Scopes: auth.ScopesOf(role)})
	}
	body := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	for _, role := range []auth.Role{auth.RolePatient, auth.RoleProxy} {
		pc := as(role)
		read, err := svc.Read(pc, "Observation", id)
		if err != nil {
			t.Fatal(err)
		}
		vread, err := svc.VRead(pc, "Observation", id, "1")
		if err != nil {
			t.Fatal(err)
		}
		hist, err := svc.History(pc, "Observation", id, url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		found, err := svc.Search(pc, service.SearchRequest{Type: "Observation", Params: url.Values{"patient": {me}}})
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]string{"read": string(read.Version.Body), "vread of the first version": string(vread.Version.Body),
			"history": body(hist.Resource), "search": body(found.Resource)} {
			if strings.Contains(got, "drinking") || strings.Contains(got, redaction.OnlineRedactionURL) {
				t.Errorf("%s: %s reads the phrase: %s", role, name, got)
			}
			if !strings.Contains(got, "Low mood. Her "+redaction.Replacement+" is worse.") {
				t.Errorf("%s: %s lacks the replacement: %s", role, name, got)
			}
		}
		for _, q := range []struct{ typ, param string }{
			{"Observation", "value-string"},
			{"Observation", "code:text"},
			{"DiagnosticReport", "result.value-string"},
			{"Patient", "_has:Observation:patient:value-string"},
			{"Observation", "_content"},
		} {
			_, err = svc.Search(pc, service.SearchRequest{Type: q.typ, Params: url.Values{q.param: {"Low mood. Her husband"}}})
			if fe, ok := err.(*fhir.Error); !ok || fe.Status != http.StatusForbidden {
				t.Errorf("%s: a search by the entry's words (%s?%s): %v", role, q.typ, q.param, err)
			}
		}
		if _, err := svc.Search(pc, service.SearchRequest{Type: "Patient", Params: url.Values{"name": {"Test"}}}); err != nil {
			t.Errorf("%s: searching their own Patient by name: %v", role, err)
		}
	}
	// A letter with words removed: its file (a Binary standing for the
	// DocumentReference) cannot be redacted, so the patient cannot read it.
	doc := create(fhir.Resource(redaction.Add(map[string]any{"resourceType": "DocumentReference", "status": "current",
		"subject":     map[string]any{"reference": "Patient/" + me},
		"description": "Clinic letter: her " + phrase,
		"content":     []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "url": "Binary/placeholder"}}}},
		phrase, "Practitioner/gp", "Dr A Patel", time.Now())))
	bin := create(fhir.Resource{"resourceType": "Binary", "contentType": "text/plain", "data": "aHVzYmFuZCdzIGRyaW5raW5n",
		"securityContext": map[string]any{"reference": "DocumentReference/" + doc}})
	if _, err := svc.Read(as(auth.RolePatient), "Binary", bin); err == nil {
		t.Error("the patient reads the file of a letter with words removed")
	}
	if _, err := svc.Read(ctx, "Binary", bin); err != nil {
		t.Errorf("staff cannot read the file: %v", err)
	}
	letter, err := svc.Read(as(auth.RolePatient), "DocumentReference", doc)
	if err != nil || strings.Contains(string(letter.Version.Body), "drinking") || strings.Contains(string(letter.Version.Body), "Binary/placeholder") {
		t.Errorf("the patient's letter: %v %s", err, letter.Version.Body)
	}
	staff, err := svc.Read(ctx, "Observation", id)
	if err != nil || !strings.Contains(string(staff.Version.Body), phrase) {
		t.Errorf("staff read lost the phrase: %v %s", err, staff.Version.Body)
	}
}
