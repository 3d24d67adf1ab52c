package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// Conditional creates race: 16 clients sending the same condition at
// once must leave exactly one resource, on every store and with two
// servers on one database. (On PostgreSQL each transaction's match ran
// before the others committed, and 55-83 duplicates appeared in 15
// rounds.)

const racers, raceRounds = 16, 8

func TestConditionalCreateRace(t *testing.T) {
	for _, so := range benchStores() {
		t.Run(so.name, func(t *testing.T) { raceConditionals(t, so.open(t)) })
	}
}

func TestConditionalCreateRaceTwoServers(t *testing.T) {
	stores := storetest.OpenPostgresConcurrently(t, 2)
	raceConditionals(t, newTestServerOn(t, stores[0], httpapi.Options{}), newTestServerOn(t, stores[1], httpapi.Options{}))
}

func raceConditionals(t *testing.T, servers ...*testServer) {
	ways := map[string]func(ts *testServer, system, value string) response{
		"If-None-Exist": func(ts *testServer, system, value string) response {
			return ts.do("POST", "/fhir/Patient", raced(system, value), "If-None-Exist", "identifier="+system+"|"+value)
		},
		"conditional update": func(ts *testServer, system, value string) response {
			return ts.do("PUT", "/fhir/Patient?identifier="+system+"|"+value, raced(system, value))
		},
		"bundle ifNoneExist": func(ts *testServer, system, value string) response {
			return ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{map[string]any{
				"fullUrl": "urn:uuid:0b8e9a5e-8f4e-4b8a-9c1e-0c6f3b7a9d10", "resource": raced(system, value),
				"request": map[string]any{"method": "POST", "url": "Patient", "ifNoneExist": "identifier=" + system + "|" + value}}}})
		},
		"bundle conditional reference": func(ts *testServer, system, value string) response {
			// Creates the patient if absent and refers to it by identifier.
			return ts.do("POST", "/fhir", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
				map[string]any{"fullUrl": "urn:uuid:0b8e9a5e-8f4e-4b8a-9c1e-0c6f3b7a9d11", "resource": raced(system, value),
					"request": map[string]any{"method": "POST", "url": "Patient", "ifNoneExist": "identifier=" + system + "|" + value}},
				map[string]any{"fullUrl": "urn:uuid:0b8e9a5e-8f4e-4b8a-9c1e-0c6f3b7a9d12", "resource": map[string]any{
					"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "race"},
					"subject": map[string]any{"reference": "Patient?identifier=" + system + "|" + value}},
					"request": map[string]any{"method": "POST", "url": "Observation"}}}})
		},
	}
	for name, send := range ways {
		t.Run(name, func(t *testing.T) {
			system := "https://example.org/race/" + fmt.Sprint(len(name))
			for round := 0; round < raceRounds; round++ {
				value := fmt.Sprintf("r%d", round)
				var wg sync.WaitGroup
				statuses := make([]int, racers)
				for c := 0; c < racers; c++ {
					wg.Add(1)
					go func(c int) {
						defer wg.Done()
						r := send(servers[c%len(servers)], system, value)
						statuses[c] = r.status
						if r.status != http.StatusOK && r.status != http.StatusCreated {
							t.Errorf("round %d client %d: %d %s", round, c, r.status, r.raw)
						}
					}(c)
				}
				wg.Wait()
				r := servers[0].do("GET", "/fhir/Patient?_summary=count&identifier="+system+"|"+value, nil).expect(t, 200)
				if n := fmt.Sprint(r.body["total"]); n != "1" {
					t.Fatalf("round %d: %s Patients with one identifier after %d racing clients (statuses %v)", round, n, racers, statuses)
				}
			}
		})
	}
}

func raced(system, value string) map[string]any {
	return map[string]any{"resourceType": "Patient", "identifier": []any{map[string]any{"system": system, "value": value}},
		"name": []any{map[string]any{"family": "Race"}}}
}
