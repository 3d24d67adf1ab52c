package pathfeed

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestQueuesOnStores: the inbox's queues are searches of meta.tag, and
// moving an item from one to the next leaves it in exactly one, on
// SQLite and (when GPCLOUD_TEST_POSTGRES is set) PostgreSQL; recalls are
// found by category and due date on both.
func TestQueuesOnStores(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) { queues(t, open(t)) })
	}
}

func queues(t *testing.T, st store.Store) {
	svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
	ctx := context.Background()
	r := Report{Patient: Patient{NHSNumber: "9990000018", BirthDate: "2010-05-24", Family: "Jones"}, Title: "FBC", Lab: "Lab", Issued: time.Now(),
		Tests: []Test{{Name: "Haemoglobin", Unit: "g/L", Value: 98, Low: 115, High: 165}}}
	if err := Send(ctx, svc, r.Resource(), Letter{Patient: r.Patient, Title: "Letter", From: "Hospital", Text: "x", Date: time.Now()}.Resource()); err != nil {
		t.Fatal(err)
	}
	// matches are a search's matches, decoded.
	matches := func(typ string, params url.Values) []fhir.Resource {
		out, err := svc.Search(ctx, service.SearchRequest{Type: typ, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		var found []fhir.Resource
		entries, _ := out.Resource["entry"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			if s, _ := em["search"].(map[string]any); s["mode"] != "match" {
				continue
			}
			raw, err := json.Marshal(em["resource"])
			if err != nil {
				t.Fatal(err)
			}
			res, err := fhir.Unmarshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			found = append(found, res)
		}
		return found
	}
	count := func(typ, state string) int {
		return len(matches(typ, url.Values{"_tag": {clinical.InboxTagSystem + "|" + state}}))
	}
	if count("DiagnosticReport", clinical.InboxReceived) != 1 || count("DocumentReference", clinical.InboxReceived) != 1 {
		t.Fatal("the feed's items are not in the received queue")
	}
	res := matches("DiagnosticReport", url.Values{})[0]
	if _, err := svc.Update(ctx, "DiagnosticReport", res.ID(), clinical.WithInboxStateWhy(res, clinical.InboxToMatch, "No patient"), service.Precondition{Set: true, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if count("DiagnosticReport", clinical.InboxReceived) != 0 || count("DiagnosticReport", clinical.InboxToMatch) != 1 {
		t.Error("an item moved to be matched is not in exactly one queue")
	}
	// Recalls by category and due date.
	pat, err := svc.Create(ctx, "Patient", fhir.Resource{"resourceType": "Patient", "birthDate": "2010-05-24"}, "")
	if err != nil {
		t.Fatal(err)
	}
	n := clinical.NewRecall{Kind: "review", What: "Asthma review", Patient: clinical.Ref{Reference: "Patient/" + pat.Version.ID}}
	due := time.Now().AddDate(0, 0, 10)
	n.DueDay, n.DueMonth, n.DueYear = due.Format("2"), due.Format("1"), due.Format("2006")
	if errs := n.Check(time.Now()); len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := svc.Create(ctx, "ServiceRequest", n.Resource(time.Now()), ""); err != nil {
		t.Fatal(err)
	}
	for until, want := range map[int]int{30: 1, 5: 0} {
		got := len(matches("ServiceRequest", url.Values{"category": {clinical.RecallCategoryToken},
			"status": {"active"}, "occurrence": {"le" + time.Now().AddDate(0, 0, until).Format("2006-01-02")}}))
		if got != want {
			t.Errorf("recalls due within %d days: %d, want %d", until, got, want)
		}
	}
}
