package workspace_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// session is a signed-in GP over plain HTTP (no browser).
type session struct {
	s            *testbrowser.Stack
	cookie, csrf string
	practice     *demo.Practice
	principal    *auth.Principal
}

func signedIn(t testing.TB) *session {
	t.Helper()
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	gpRef := "Practitioner/" + practice.Clinicians[0].ID
	s.Staff(t, "gp@http", auth.RoleGP, practice.OrganizationID, gpRef)
	u, err := identity.GetUser(ctx, s.Store, "gp@http")
	if err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := identity.StartSession(ctx, s.Store, u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sess.Verified = true
	if err := sess.Save(ctx, s.Store); err != nil {
		t.Fatal(err)
	}
	return &session{s: s, cookie: cookie, csrf: sess.CSRF, practice: practice,
		principal: &auth.Principal{Subject: "gp@http", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: gpRef, Scopes: auth.ScopesOf(auth.RoleGP)}}
}

func (se *session) post(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	form.Set("csrf", se.csrf)
	req, _ := http.NewRequest("POST", se.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// encounters counts a patient's Encounters.
func (se *session) encounters(t testing.TB, patient string) int {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	out, err := se.s.Service.Search(ctx, service.SearchRequest{Type: "Encounter", Params: url.Values{"patient": {patient}, "_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		if s, _ := e.(map[string]any)["search"].(map[string]any); s["mode"] == "match" {
			n++
		}
	}
	return n
}

func consultForm(patient string) url.Values {
	now := time.Now().Add(-time.Hour).In(clinical.London)
	return url.Values{"patient": {patient}, "action": {"save"}, "topics": {"1"}, "type": {"telephone"},
		"date-day": {now.Format("2")}, "date-month": {now.Format("1")}, "date-year": {now.Format("2006")}, "time": {now.Format("15:04")},
		"t0-q": {"Cough"}, "t0-code": {"49727002|Cough"}, "t0-history": {"Dry cough for five days."}, "t0-entries": {"1"}}
}

// TestWrongPatientRefused: a consultation form opened for one patient
// and posted to another's record is refused, and nothing is written.
func TestWrongPatientRefused(t *testing.T) {
	se := signedIn(t)
	a, b := se.practice.Patients[0], se.practice.Patients[1]
	before, beforeA := se.encounters(t, b), se.encounters(t, a)
	resp := se.post(t, "/workspace/patients/"+b+"/consultations/new", consultForm(a))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("a form for %s posted to %s answered %d, want 409", a, b, resp.StatusCode)
	}
	if se.encounters(t, b) != before || se.encounters(t, a) != beforeA {
		t.Error("the refused consultation wrote an Encounter")
	}
	if resp := se.post(t, "/workspace/patients/"+a+"/consultations/new", consultForm(a)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right patient's save answered %d", resp.StatusCode)
	}
}

// TestConsultationAtomic: when one write of a consultation's transaction
// fails (here a problem changed by someone else since it was read), none
// of it is written.
func TestConsultationAtomic(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	before := se.encounters(t, patient)
	c := &clinical.Consultation{PatientID: patient, Type: "face-to-face", Start: time.Now().Add(-time.Hour),
		Clinician: clinical.Ref{Reference: se.principal.FHIRUser, Display: "Dr"}, Author: clinical.Ref{Reference: se.principal.FHIRUser},
		Measurements: clinical.Measurements{Systolic: 130, Diastolic: 80},
		Topics: []clinical.Topic{{Code: clinical.Concept{Code: "195967001", Display: "Asthma"}, Problem: "Condition/stale", Episode: "end",
			Notes: map[string]string{"history": "Wheeze settled."}}}}
	stale := map[string]any{"resourceType": "Condition", "id": "stale", "meta": map[string]any{"versionId": "7"},
		"code": map[string]any{"text": "Asthma"}, "subject": map[string]any{"reference": "Patient/" + patient}}
	plan, err := clinical.PlanConsultation(c, clinical.Stored{"Condition/stale": stale}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := plan.Bundle(patient, c.Author, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := se.s.Service.ProcessBundle(ctx, bundle, service.BundleOptions{}); err == nil {
		t.Fatal("a transaction with a stale If-Match was accepted")
	}
	if got := se.encounters(t, patient); got != before {
		t.Errorf("a failed consultation left %d Encounters, want %d", got, before)
	}
}

// TestAmendConflict: an amendment begun before someone else changed the
// consultation is refused, and nothing is written.
func TestAmendConflict(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	resp := se.post(t, "/workspace/patients/"+patient+"/consultations/new", consultForm(patient))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save answered %d", resp.StatusCode)
	}
	enc := strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Location"), "/workspace/patients/"+patient+"/consultations/"), "?saved=1")
	form := consultForm(patient)
	form.Set("t0-history", "Dry cough for a week.")
	form.Set("reason", "Duration corrected")
	form.Set("version", "0") // the Composition was at version 1
	if resp := se.post(t, "/workspace/patients/"+patient+"/consultations/"+enc+"/amend", form); resp.StatusCode != http.StatusConflict {
		t.Fatalf("a stale amendment answered %d, want 409", resp.StatusCode)
	}
	form.Set("version", "1")
	if resp := se.post(t, "/workspace/patients/"+patient+"/consultations/"+enc+"/amend", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the amendment answered %d", resp.StatusCode)
	}
}
