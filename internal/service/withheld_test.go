package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestWithheldFromPatient: an entry labelled NOPAT, an enhanced-review
// entry, a result not yet filed from the inbox, and an entry whose
// current version was labelled NOPAT after an earlier one, are in no
// answer the service gives the patient or their proxy: read and vread
// answer 404 (as for an unknown id), search matches, _include and
// _revinclude, $everything, history and a batch's reads leave them out,
// a searchset has no total, counts, _has and chains are refused, and the file of
// a withheld entry is unknown. Staff read everything; the
// enhanced-review entry still decides record access (PatientAccess).
func TestWithheldFromPatient(t *testing.T) {
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
	subject := map[string]any{"reference": "Patient/" + me}
	nopat := map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}}}
	snomed := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code, "display": display}}}
	}
	visit := create(fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB"},
		"subject": subject, "period": map[string]any{"start": "2025-03-01T10:00:00Z"}})
	hiddenVisit := create(fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB"},
		"subject": subject, "meta": nopat, "period": map[string]any{"start": "2025-03-02T10:00:00Z"}})
	shown := create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
		"encounter": map[string]any{"reference": "Encounter/" + hiddenVisit},
		"code":      snomed("271649006", "Systolic blood pressure"), "valueString": "120 mm[Hg]"})
	hiddenNote := create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject, "meta": nopat,
		"encounter": map[string]any{"reference": "Encounter/" + visit},
		"code":      snomed("35361000000106", "Comment note"), "valueString": "Told by her sister"})
	review := create(fhir.Resource{"resourceType": "Condition", "subject": subject,
		"code": snomed("1364731000000104", "Enhanced review indicated before granting access to own health record"), "recordedDate": "2025-01-01"})
	unfiled := create(fhir.Resource{"resourceType": "DiagnosticReport", "status": "final", "subject": subject,
		"meta": map[string]any{"tag": []any{map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/inbox", "code": "received"}}},
		"code": snomed("26604007", "Full blood count"), "issued": "2025-03-03T09:00:00Z"})
	filed := create(fhir.Resource{"resourceType": "DiagnosticReport", "status": "final", "subject": subject,
		"meta": map[string]any{"tag": []any{map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/inbox", "code": "filed"}}},
		"code": snomed("26604007", "Full blood count"), "issued": "2025-02-03T09:00:00Z"})
	file := create(fhir.Resource{"resourceType": "Binary", "contentType": "text/plain", "data": "SGIgNzA=",
		"securityContext": map[string]any{"reference": "DiagnosticReport/" + unfiled}})
	// Labelled NOPAT in its second version: the first is withheld too.
	later := create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
		"code": snomed("35361000000106", "Comment note"), "valueString": "Safeguarding referral made"})
	cur, _ := svc.Read(ctx, "Observation", later)
	res, _ := fhir.Unmarshal(cur.Version.Body)
	res["meta"] = nopat
	if _, err := svc.Update(ctx, "Observation", later, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// Labelled NOPAT, then deleted: the deletion is judged by what it
	// deleted, so the first version stays withheld.
	gone := create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
		"code": snomed("35361000000106", "Comment note"), "valueString": "Her brother's diagnosis"})
	cur, _ = svc.Read(ctx, "Observation", gone)
	res, _ = fhir.Unmarshal(cur.Version.Body)
	res["meta"] = nopat
	if _, err := svc.Update(ctx, "Observation", gone, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Delete(ctx, "Observation", gone, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	withheld := map[string]string{"Encounter": hiddenVisit, "Observation": hiddenNote, "Condition": review, "DiagnosticReport": unfiled, "Binary": file}
	hiddenIDs := []string{hiddenVisit, hiddenNote, review, unfiled, file, later, gone}
	as := func(role auth.Role) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: "pat", Role: role, Patients: []string{me}, Scopes: auth.ScopesOf(role)})
	}
	body := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	notFound := func(err error) bool {
		fe, ok := err.(*fhir.Error)
		return ok && fe.Status == http.StatusNotFound
	}
	for _, role := range []auth.Role{auth.RolePatient, auth.RoleProxy} {
		pc := as(role)
		for typ, id := range withheld {
			if _, err := svc.Read(pc, typ, id); !notFound(err) {
				t.Errorf("%s: read %s/%s: %v, want 404", role, typ, id, err)
			}
			if _, err := svc.VRead(pc, typ, id, "1"); !notFound(err) {
				t.Errorf("%s: vread %s/%s: %v, want 404", role, typ, id, err)
			}
		}
		if _, err := svc.VRead(pc, "Observation", later, "1"); !notFound(err) {
			t.Errorf("%s: vread of the version before the label: %v, want 404", role, err)
		}
		if _, err := svc.VRead(pc, "Observation", gone, "1"); !notFound(err) {
			t.Errorf("%s: vread of a labelled entry's first version after its deletion: %v, want 404", role, err)
		}
		if out, err := svc.History(pc, "Observation", "", url.Values{}); err != nil || strings.Contains(body(out.Resource), "brother") {
			t.Errorf("%s: type history shows a labelled, deleted entry's first version: %v", role, err)
		}
		if _, err := svc.History(pc, "Observation", later, url.Values{}); !notFound(err) {
			t.Errorf("%s: history of an entry now labelled: %v, want 404", role, err)
		}
		if _, err := svc.Read(pc, "Observation", shown); err != nil {
			t.Errorf("%s: read of a shown entry: %v", role, err)
		}
		answers := map[string]fhir.Resource{}
		for name, req := range map[string]service.SearchRequest{
			"observations with _include":  {Type: "Observation", Params: url.Values{"patient": {me}, "_include": {"Observation:encounter"}, "_total": {"accurate"}}},
			"encounters with _revinclude": {Type: "Encounter", Params: url.Values{"patient": {me}, "_revinclude": {"Observation:encounter", "Binary:*"}}},
			"conditions":                  {Type: "Condition", Params: url.Values{"patient": {me}, "code": {"http://snomed.info/sct|1364731000000104"}}},
			"reports":                     {Type: "DiagnosticReport", Params: url.Values{"patient": {me}}},
			"files":                       {Type: "Binary", Params: url.Values{"_id": {file}}},
			"several types":               {Params: url.Values{"_type": {"Observation,Condition,Encounter,DiagnosticReport"}, "patient": {me}}},
		} {
			out, err := svc.Search(pc, req)
			if err != nil {
				t.Errorf("%s: search %s: %v", role, name, err)
				continue
			}
			answers["search "+name] = out.Resource
			if _, ok := out.Resource["total"]; ok {
				t.Errorf("%s: search %s has a total: %v", role, name, out.Resource["total"])
			}
		}
		if !strings.Contains(body(answers["search observations with _include"]), shown) || !strings.Contains(body(answers["search reports"]), filed) {
			t.Errorf("%s: shown entries missing from searches", role)
		}
		// Nothing is included from a withheld match: the shown Encounter
		// it names would tell that it matched.
		notes, err := svc.Search(pc, service.SearchRequest{Type: "Observation", Params: url.Values{"patient": {me},
			"code": {"http://snomed.info/sct|35361000000106"}, "_include": {"Observation:encounter"}}})
		if err != nil || strings.Contains(body(notes.Resource), `"id":"`+visit+`"`) {
			t.Errorf("%s: included from a withheld match: %v %s", role, err, body(notes.Resource))
		}
		hist, err := svc.History(pc, "Observation", "", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		answers["type history"] = hist.Resource
		every, err := svc.Everything(pc, me, url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		answers["$everything"] = every.Resource
		var batch []any
		for typ, id := range withheld {
			batch = append(batch, map[string]any{"request": map[string]any{"method": "GET", "url": typ + "/" + id}})
		}
		batch = append(batch, map[string]any{"request": map[string]any{"method": "GET", "url": "Observation/" + later + "/_history/1"}})
		b, err := svc.ProcessBundle(pc, fhir.Resource{"resourceType": "Bundle", "type": "batch", "entry": batch}, service.BundleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Resource["entry"].([]any) {
			if st := e.(map[string]any)["response"].(map[string]any)["status"].(string); !strings.HasPrefix(st, "404") {
				t.Errorf("%s: a batch read answered %s, want 404", role, st)
			}
		}
		for name, got := range answers {
			for _, id := range hiddenIDs {
				// An entry shown may name a withheld one (its reference);
				// none is there itself.
				if strings.Contains(body(got), `"id":"`+id+`"`) {
					t.Errorf("%s: %s holds withheld %s: %s", role, name, id, body(got))
				}
			}
		}
		for _, params := range []url.Values{
			{"patient": {me}, "_summary": {"count"}},
			{"_has:Observation:patient:code": {"35361000000106"}},
			{"patient": {me}, "encounter.status": {"finished"}},
			{"patient": {me}, "encounter:Encounter.status": {"finished"}},
		} {
			typ := "Observation"
			if _, ok := params["patient"]; !ok {
				typ = "Patient"
			}
			if _, err := svc.Search(pc, service.SearchRequest{Type: typ, Params: params}); err == nil || err.(*fhir.Error).Status != http.StatusForbidden {
				t.Errorf("%s: %s?%s: %v, want 403", role, typ, params.Encode(), err)
			}
		}
		// The enhanced-review entry, withheld, still decides access: it
		// predates the practice's decision, which stands.
		if a, err := svc.PatientAccess(pc, me); err != nil || a.Record.Level != "full" {
			t.Errorf("%s: access after an enhanced review the practice decided on: %+v %v", role, a, err)
		}
	}
	// Staff read every one.
	gp := auth.WithPrincipal(ctx, &auth.Principal{Subject: "gp", Role: auth.RoleGP, Practice: practice, Scopes: auth.ScopesOf(auth.RoleGP)})
	for _, c := range []context.Context{ctx, gp} {
		for typ, id := range withheld {
			if _, err := svc.Read(c, typ, id); err != nil {
				t.Errorf("staff read %s/%s: %v", typ, id, err)
			}
		}
		out, err := svc.Search(c, service.SearchRequest{Type: "Observation", Params: url.Values{"patient": {me}}})
		if err != nil || !strings.Contains(body(out.Resource), hiddenNote) || out.Resource["total"] == nil {
			t.Errorf("staff search: %v %s", err, body(out.Resource))
		}
	}
}
