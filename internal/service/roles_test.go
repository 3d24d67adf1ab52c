package service_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestAccessMatrix: what each staff role reaches of a practice's
// patients, by resource type, for an ordinary and a sensitive record
// (meta.security v3-Confidentiality R). Reads are checked one resource at
// a time (the service's own check) and by search (the SQL's access
// condition), so that the two agree; on SQLite, and on PostgreSQL when
// GPCLOUD_TEST_POSTGRES is set.
func TestAccessMatrix(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"sqlite":   func(t *testing.T) store.Store { return storetest.OpenSQLite(t) },
		"postgres": func(t *testing.T) store.Store { return storetest.OpenPostgres(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { accessMatrix(t, open(t)) })
	}
}

// matrixTypes are the record's types in the matrix, with what a
// receptionist reaches of an ordinary record: alerts and medicines'
// names, no consultation content.
var matrixTypes = []struct {
	typ       string
	reception bool
}{
	{"Condition", false}, {"Encounter", false}, {"Observation", false}, {"AllergyIntolerance", false},
	{"Immunization", false}, {"DocumentReference", false}, {"Composition", false},
	{"Flag", true}, {"MedicationRequest", true},
}

func accessMatrix(t *testing.T, st store.Store) {
	svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
	ctx := context.Background()
	create := func(res fhir.Resource) string {
		t.Helper()
		out, err := svc.Create(ctx, res["resourceType"].(string), res, "")
		if err != nil {
			t.Fatalf("create %v: %v", res["resourceType"], err)
		}
		return out.Version.ID
	}
	practice := create(fhir.Resource{"resourceType": "Organization", "name": "The Surgery"})
	patient := func(sensitive bool) string {
		p := fhir.Resource{"resourceType": "Patient", "name": []any{map[string]any{"family": "Test"}},
			"managingOrganization": map[string]any{"reference": "Organization/" + practice}}
		if sensitive {
			p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
		}
		return create(p)
	}
	ids := map[bool]map[string]string{}
	patients := map[bool]string{}
	for _, sensitive := range []bool{false, true} {
		pid := patient(sensitive)
		patients[sensitive] = pid
		ids[sensitive] = map[string]string{}
		for _, tt := range matrixTypes {
			ids[sensitive][tt.typ] = create(recordOf(tt.typ, pid))
		}
	}
	acute := create(fhir.Resource{"resourceType": "MedicationRequest", "status": "active", "intent": "order",
		"medicationCodeableConcept": map[string]any{"text": "Doxycycline 100mg capsules"},
		"subject":                   map[string]any{"reference": "Patient/" + patients[false]},
		"dosageInstruction":         []any{map[string]any{"text": "one a day"}}})

	principal := func(role auth.Role, breakGlass string) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: "u-" + string(role), Role: role, Practice: practice,
			Scopes: auth.ScopesOf(role), BreakGlass: breakGlass})
	}
	callers := []struct {
		name string
		ctx  context.Context
		// sees says whether the caller reaches a type's records of an
		// ordinary record, and of a sensitive one.
		sees func(typ string, reception, sensitive bool) bool
	}{
		{"gp", principal(auth.RoleGP, ""), func(_ string, _, sensitive bool) bool { return !sensitive }},
		{"nurse", principal(auth.RoleNurse, ""), func(_ string, _, sensitive bool) bool { return !sensitive }},
		{"receptionist", principal(auth.RoleReceptionist, ""), func(_ string, reception, sensitive bool) bool { return reception && !sensitive }},
		{"practice-admin", principal(auth.RolePracticeAdmin, ""), func(_ string, _, sensitive bool) bool { return !sensitive }},
		{"gp with break-glass", principal(auth.RoleGP, "Seeing the patient today"), func(string, bool, bool) bool { return true }},
	}
	for _, c := range callers {
		for _, sensitive := range []bool{false, true} {
			// The Patient (demographics) stays readable and findable: the
			// way to the reason page goes through them.
			if _, err := svc.Read(c.ctx, "Patient", patients[sensitive]); err != nil {
				t.Errorf("%s: read Patient (sensitive %v): %v", c.name, sensitive, err)
			}
			if n := matches(t, svc, c.ctx, "Patient", url.Values{"_id": {patients[sensitive]}}); n != 1 {
				t.Errorf("%s: search Patient (sensitive %v): %d matches, want 1", c.name, sensitive, n)
			}
			for _, tt := range matrixTypes {
				want := c.sees(tt.typ, tt.reception, sensitive)
				id := ids[sensitive][tt.typ]
				_, err := svc.Read(c.ctx, tt.typ, id)
				if got := err == nil; got != want {
					t.Errorf("%s: read %s (sensitive %v): err %v, want visible %v", c.name, tt.typ, sensitive, err, want)
				}
				if !want && err != nil && !refused(err) {
					t.Errorf("%s: read %s (sensitive %v): %v, want 403 or 404", c.name, tt.typ, sensitive, err)
				}
				n, serr := countMatches(svc, c.ctx, tt.typ, url.Values{"patient": {patients[sensitive]}})
				if serr != nil && (want || !refused(serr)) {
					t.Errorf("%s: search %s (sensitive %v): %v", c.name, tt.typ, sensitive, serr)
				}
				if serr == nil && (n > 0) != want {
					t.Errorf("%s: search %s?patient (sensitive %v): %d matches, want visible %v", c.name, tt.typ, sensitive, n, want)
				}
			}
		}
		// Across the practice (no patient named): the SQL leaves the
		// sensitive record's out.
		for _, tt := range matrixTypes {
			out, err := svc.Search(c.ctx, service.SearchRequest{Type: tt.typ, Params: url.Values{"_count": {"50"}}})
			if err != nil {
				if !refused(err) || c.sees(tt.typ, tt.reception, false) {
					t.Errorf("%s: practice-wide search %s: %v", c.name, tt.typ, err)
				}
				continue
			}
			got := matchIDs(out.Resource)
			if got[ids[true][tt.typ]] != c.sees(tt.typ, tt.reception, true) {
				t.Errorf("%s: practice-wide search %s: sensitive record's found %v", c.name, tt.typ, got[ids[true][tt.typ]])
			}
			if !got[ids[false][tt.typ]] {
				t.Errorf("%s: practice-wide search %s: ordinary record's not found", c.name, tt.typ)
			}
		}
	}

	// A receptionist reads a repeat's name, never its dosage; an acute
	// medicine not even by name; and may not search by code.
	rec := principal(auth.RoleReceptionist, "")
	out, err := svc.Read(rec, "MedicationRequest", ids[false]["MedicationRequest"])
	if err != nil {
		t.Fatal(err)
	}
	body := string(out.Version.Body)
	if !strings.Contains(body, "Ramipril") || strings.Contains(body, "twice a day") || strings.Contains(body, "Hypertension") || !strings.Contains(body, "SUBSETTED") {
		t.Errorf("receptionist's repeat: %s", body)
	}
	out, err = svc.Read(rec, "MedicationRequest", acute)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(out.Version.Body); strings.Contains(body, "Doxycycline") || strings.Contains(body, "one a day") {
		t.Errorf("receptionist's acute medicine: %s", body)
	}
	sr, err := svc.Search(rec, service.SearchRequest{Type: "MedicationRequest", Params: url.Values{"patient": {patients[false]}}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := fhir.Marshal(sr.Resource); strings.Contains(string(b), "twice a day") || strings.Contains(string(b), "Doxycycline") || !strings.Contains(string(b), "Ramipril") {
		t.Errorf("receptionist's medication search: %s", b)
	}
	if _, err := countMatches(svc, rec, "MedicationRequest", url.Values{"code": {"Doxycycline"}}); !refused(err) {
		t.Errorf("receptionist searched medicines by code: %v", err)
	}
	if _, err := countMatches(svc, rec, "Patient", url.Values{"_has:MedicationRequest:patient:code": {"Doxycycline"}}); !refused(err) {
		t.Errorf("receptionist searched patients by their medicines: %v", err)
	}
	if n, err := countMatches(svc, rec, "Patient", url.Values{"_has:MedicationRequest:patient:status": {"active"}}); err != nil || n == 0 {
		t.Errorf("receptionist's search of patients with an active medicine: %d %v", n, err)
	}
	// A GP reads the whole.
	out, err = svc.Read(principal(auth.RoleGP, ""), "MedicationRequest", ids[false]["MedicationRequest"])
	if err != nil || !strings.Contains(string(out.Version.Body), "twice a day") {
		t.Errorf("gp's medication read: %v %s", err, out.Version.Body)
	}

	// A sensitive record is sealed from the practice, not from the patient.
	openOnline(t, svc, st, patients[true], "patient")
	own := auth.WithPrincipal(ctx, &auth.Principal{Subject: "patient", Role: auth.RolePatient, Patients: []string{patients[true]}, Scopes: auth.ScopesOf(auth.RolePatient)})
	if _, err := svc.Read(own, "Condition", ids[true]["Condition"]); err != nil {
		t.Errorf("the patient reading their own sensitive record: %v", err)
	}
	if n, err := countMatches(svc, own, "Condition", url.Values{"patient": {patients[true]}}); err != nil || n != 1 {
		t.Errorf("the patient searching their own sensitive record: %d %v", n, err)
	}

	// Writing into a sensitive record needs the glass broken too.
	if _, err := svc.Create(principal(auth.RoleGP, ""), "Flag", recordOf("Flag", patients[true]), ""); !refused(err) {
		t.Errorf("gp wrote into a sensitive record without a reason: %v", err)
	}
	if _, err := svc.Create(principal(auth.RoleGP, "Seeing the patient today"), "Flag", recordOf("Flag", patients[true]), ""); err != nil {
		t.Errorf("gp with break-glass: %v", err)
	}
}

// recordOf is a minimal resource of typ in the patient's record.
func recordOf(typ, patient string) fhir.Resource {
	subject := map[string]any{"reference": "Patient/" + patient}
	code := map[string]any{"text": "Something clinical"}
	r := fhir.Resource{"resourceType": typ}
	switch typ {
	case "Condition":
		r["subject"], r["code"] = subject, code
	case "Encounter":
		r["subject"], r["status"], r["class"] = subject, "finished", map[string]any{"code": "AMB"}
	case "Observation":
		r["subject"], r["status"], r["code"] = subject, "final", code
	case "AllergyIntolerance":
		r["patient"], r["code"] = subject, code
		r["clinicalStatus"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}}
	case "Immunization":
		r["patient"], r["status"], r["vaccineCode"], r["occurrenceDateTime"] = subject, "completed", code, "2024-01-02"
	case "DocumentReference":
		r["subject"], r["status"], r["content"] = subject, "current", []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": "aGk="}}}
	case "Composition":
		r["subject"], r["status"], r["type"], r["date"], r["title"], r["author"] = subject, "final", code, "2024-01-02", "Consultation", []any{map[string]any{"display": "Dr A"}}
	case "Flag":
		r["subject"], r["status"], r["code"] = subject, "active", code
	case "MedicationRequest":
		r["subject"], r["status"], r["intent"] = subject, "active", "order"
		r["medicationCodeableConcept"] = map[string]any{"text": "Ramipril 5mg capsules"}
		r["courseOfTherapyType"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "code": "continuous"}}}
		r["dosageInstruction"] = []any{map[string]any{"text": "one twice a day"}}
		r["reasonCode"] = []any{map[string]any{"text": "Hypertension"}}
	}
	return r
}

func refused(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && (fe.Status == http.StatusForbidden || fe.Status == http.StatusNotFound)
}

func countMatches(svc *service.Service, ctx context.Context, typ string, params url.Values) (int, error) {
	out, err := svc.Search(ctx, service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		return 0, err
	}
	return len(matchIDs(out.Resource)), nil
}

func matches(t *testing.T, svc *service.Service, ctx context.Context, typ string, params url.Values) int {
	t.Helper()
	n, err := countMatches(svc, ctx, typ, params)
	if err != nil {
		t.Fatalf("search %s: %v", typ, err)
	}
	return n
}

func matchIDs(bundle fhir.Resource) map[string]bool {
	out := map[string]bool{}
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if s, _ := m["search"].(map[string]any); s["mode"] != "match" {
			continue
		}
		res, _ := m["resource"].(map[string]any)
		if res == nil {
			if raw, ok := m["resource"].(interface{ MarshalJSON() ([]byte, error) }); ok {
				b, _ := raw.MarshalJSON()
				r, _ := fhir.Unmarshal(b)
				res = r
			}
		}
		if id, _ := res["id"].(string); id != "" {
			out[id] = true
		}
	}
	return out
}
