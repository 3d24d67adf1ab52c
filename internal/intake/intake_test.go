package intake_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/intake"
	"github.com/gpcloud/gpcloud/internal/pathfeed"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

const nhs = "9434765919"

func stores() map[string]func(testing.TB) store.Store {
	return map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres}
}

func setup(t *testing.T, open func(testing.TB) store.Store) (*service.Service, *intake.Intake) {
	svc := service.New(open(t), service.Options{BaseURL: "http://gp.example/fhir"})
	p := fhir.Resource{"resourceType": "Patient", "id": "a", "active": true, "birthDate": "1970-03-12",
		"name": []any{map[string]any{"family": "Jones", "given": []any{"Ann"}}},
		"identifier": []any{map[string]any{"system": clinical.NHSNumberSystem, "value": nhs,
			"extension": []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": map[string]any{
				"coding": []any{map[string]any{"system": clinical.NHSVerificationSystem, "code": clinical.NHSVerified}}}}}}}}
	if _, err := svc.Update(context.Background(), "Patient", "a", p, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	return svc, &intake.Intake{Service: svc, Now: time.Now}
}

func report(family string, value float64) fhir.Resource {
	return pathfeed.Report{Patient: pathfeed.Patient{NHSNumber: nhs, BirthDate: "1970-03-12", Family: family}, Title: "FBC", Lab: "Lab",
		Issued: time.Now(), Tests: []pathfeed.Test{{Name: "Haemoglobin", Unit: "g/L", Value: value, Low: 115, High: 165}}}.Resource()
}

// TestSort: each received item goes into the record only when the NHS
// number, date of birth and surname agree with a verified patient, else
// onto the list to be matched with why; each with the rank tag of its
// queue; a second pass moves nothing.
func TestSort(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			svc, in := setup(t, open)
			ctx := context.Background()
			letter := pathfeed.Letter{Patient: pathfeed.Patient{NHSNumber: "9000000009", BirthDate: "1970-03-12", Family: "Jones"}, Title: "Clinic letter", From: "Hospital", Text: "x", Date: time.Now()}
			if err := pathfeed.Send(ctx, svc, report("Jones", 98), report("Smith", 130), letter.Resource()); err != nil {
				t.Fatal(err)
			}
			n, err := in.Sort(ctx, 0)
			if err != nil || n != 3 {
				t.Fatalf("Sort moved %d (%v), want 3", n, err)
			}
			want := map[string]struct{ state, rank, why, subject string }{
				"Jones": {clinical.InboxToFile, "abnormal", "", "Patient/a"},
				"Smith": {clinical.InboxToMatch, "normal", "The surname differs", ""},
				"":      {clinical.InboxToMatch, "unflagged", "No patient of the practice has this NHS number", ""},
			}
			for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
				out, err := svc.Search(ctx, service.SearchRequest{Type: typ})
				if err != nil {
					t.Fatal(err)
				}
				for _, res := range service.Matches(out.Resource) {
					item := clinical.IncomingOf(res)
					key := "Smith"
					switch {
					case typ == "DocumentReference":
						key = ""
					case item.Patient.Reference != "":
						key = "Jones"
					}
					w := want[key]
					if item.State != w.state || !clinical.Ranked(res) || rank(res) != clinical.InboxRankCode(w.state, w.rank) || item.Why != w.why || item.Patient.Reference != w.subject {
						t.Errorf("%s %q: state %q rank %q why %q subject %q, want %+v", typ, key, item.State, rank(res), item.Why, item.Patient.Reference, w)
					}
				}
			}
			if n, err := in.Sort(ctx, 0); err != nil || n != 0 {
				t.Errorf("a second pass moved %d (%v)", n, err)
			}
		})
	}
}

func rank(res fhir.Resource) string {
	meta, _ := res["meta"].(map[string]any)
	tags, _ := meta["tag"].([]any)
	for _, t := range tags {
		if tm, _ := t.(map[string]any); tm["system"] == clinical.InboxRankSystem {
			s, _ := tm["code"].(string)
			return s
		}
	}
	return ""
}

// TestSortTwiceAtOnce: two passes at once (two replicas' background
// intake, or a user opening the inbox) sort every item exactly once.
func TestSortTwiceAtOnce(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			svc, in := setup(t, open)
			ctx := context.Background()
			var items []fhir.Resource
			for i := 0; i < 30; i++ {
				items = append(items, report("Jones", 130))
			}
			if err := pathfeed.Send(ctx, svc, items...); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			moved := make([]int, 2)
			for k := range moved {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := in.Sort(ctx, 0)
					if err != nil {
						t.Error(err)
					}
					moved[k] = n
				}()
			}
			wg.Wait()
			if moved[0]+moved[1] != 30 {
				t.Errorf("two passes moved %d and %d, want 30 in all", moved[0], moved[1])
			}
			out, err := svc.Search(ctx, service.SearchRequest{Type: "DiagnosticReport"})
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range service.Matches(out.Resource) {
				if v := clinical.IncomingOf(res).Version; v != "2" {
					t.Errorf("DiagnosticReport/%s is at version %s, want 2 (sorted once)", res.ID(), v)
				}
			}
		})
	}
}

// TestRerank: an item sorted before ranks were tagged gets its rank, so
// that the inbox's pages list it.
func TestRerank(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			svc, in := setup(t, open)
			ctx := context.Background()
			old := clinical.WithInboxState(report("Jones", 98), clinical.InboxToFile)
			meta := old["meta"].(map[string]any)
			var tags []any
			for _, t := range meta["tag"].([]any) {
				if t.(map[string]any)["system"] != clinical.InboxRankSystem {
					tags = append(tags, t)
				}
			}
			meta["tag"] = tags
			out, err := svc.Create(ctx, "DiagnosticReport", old, "")
			if err != nil {
				t.Fatal(err)
			}
			if n, err := in.Rerank(ctx); err != nil || n != 1 {
				t.Fatalf("Rerank moved %d (%v), want 1", n, err)
			}
			got, err := svc.Read(ctx, "DiagnosticReport", out.Version.ID)
			if err != nil {
				t.Fatal(err)
			}
			res, err := fhir.Unmarshal(got.Version.Body)
			if err != nil {
				t.Fatal(err)
			}
			if rank(res) != clinical.InboxRankCode(clinical.InboxToFile, "abnormal") || clinical.InboxState(res) != clinical.InboxToFile {
				t.Errorf("reranked item: state %q rank %q", clinical.InboxState(res), rank(res))
			}
			if n, err := in.Rerank(ctx); err != nil || n != 0 {
				t.Errorf("a second Rerank moved %d (%v)", n, err)
			}
		})
	}
}

// TestRouting: a result goes to whoever asked for the test, else the
// patient's usual GP; a departed locum's, or one on leave's, result goes
// to the usual GP.
func TestRouting(t *testing.T) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			svc, in := setup(t, open)
			ctx := context.Background()
			for id, active := range map[string]bool{"gp": true, "locum": false, "nurse": true, "away": true} {
				if _, err := svc.Update(ctx, "Practitioner", id, fhir.Resource{"resourceType": "Practitioner", "id": id, "active": active,
					"name": []any{map[string]any{"family": id}}}, service.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
			out, _ := svc.Read(ctx, "Patient", "a")
			p, _ := fhir.Unmarshal(out.Version.Body)
			p["generalPractitioner"] = []any{map[string]any{"reference": "Practitioner/gp", "display": "Dr GP"}}
			if _, err := svc.Update(ctx, "Patient", "a", p, service.Precondition{}); err != nil {
				t.Fatal(err)
			}
			request := func(number, requester string) {
				if _, err := svc.Create(ctx, "ServiceRequest", fhir.Resource{"resourceType": "ServiceRequest", "status": "active", "intent": "order",
					"subject":    map[string]any{"reference": "Patient/a"},
					"requester":  map[string]any{"reference": "Practitioner/" + requester},
					"identifier": []any{map[string]any{"system": clinical.OrderNumberSystem, "value": number}}}, ""); err != nil {
					t.Fatal(err)
				}
			}
			request("N1", "nurse")
			request("L1", "locum")
			request("A1", "away")
			// "away" is on leave now: an exception of her rota covers today.
			sched := fhir.Resource{"resourceType": "Schedule", "active": true, "actor": []any{map[string]any{"reference": "Practitioner/away"}}}
			clinical.SetRota(sched, nil, []clinical.Exception{{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(24 * time.Hour), Reason: "Annual leave"}})
			if _, err := svc.Create(ctx, "Schedule", sched, ""); err != nil {
				t.Fatal(err)
			}
			withOrder := func(n string) fhir.Resource {
				r := report("Jones", 130)
				r["basedOn"] = []any{map[string]any{"identifier": map[string]any{"system": clinical.OrderNumberSystem, "value": n}}}
				return r
			}
			if err := pathfeed.Send(ctx, svc, withOrder("N1"), withOrder("L1"), withOrder("A1"), report("Jones", 130)); err != nil {
				t.Fatal(err)
			}
			if _, err := in.Sort(ctx, 0); err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			res, err := svc.Search(ctx, service.SearchRequest{Type: "DiagnosticReport"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range service.Matches(res.Resource) {
				got[clinical.InboxFor(r).Reference]++
			}
			if got["Practitioner/nurse"] != 1 || got["Practitioner/gp"] != 3 || got["Practitioner/locum"] != 0 || got["Practitioner/away"] != 0 {
				t.Errorf("routed: %v (want the nurse's request to her; the locum's, the one on leave's and the unrequested to the usual GP)", got)
			}
		})
	}
}
