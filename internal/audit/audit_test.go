package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/validate"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func openStore(t testing.TB) store.Store { return storetest.OpenSQLite(t) }

func sampleEvents(n int) []Event {
	gp := &auth.Principal{Subject: "u1", Role: auth.RoleGP, Practice: "o1", FHIRUser: "Practitioner/pr1", TokenID: "t1"}
	obs := `{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p7"}}`
	var out []Event
	for i := 0; i < n; i++ {
		out = append(out, Event{Interaction: "read", Action: "R", Status: 200, Principal: gp, Address: "10.0.0.1",
			Path: "/fhir/Observation/o1", Resources: []Seen{{Type: "Observation", ID: "o1", Body: []byte(obs)}}})
	}
	return out
}

func TestTrailWritesValidChainedEvents(t *testing.T) {
	st := openStore(t)
	tr := NewTrail(st, nil)
	for _, e := range sampleEvents(30) {
		tr.Record(e)
	}
	tr.Flush()
	tr.Record(sampleEvents(1)[0])
	tr.Close()

	ctx := context.Background()
	r, err := Verify(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Events != 31 || len(r.Problems) != 0 {
		t.Fatalf("report = %+v", r)
	}
	v, err := st.Read(ctx, "AuditEvent", eventID(1))
	if err != nil {
		t.Fatal(err)
	}
	res, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if issues := validate.Resource(res); fhir.HasErrors(issues) {
		t.Fatalf("the AuditEvent is not valid R4: %+v", issues)
	}
	// The patient is found from the Observation's subject.
	if !strings.Contains(string(v.Body), `"Patient/p7"`) {
		t.Fatalf("patient not listed: %s", v.Body)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, ctx context.Context, tx store.Tx)
		want   string
	}{
		{"changed", func(t *testing.T, ctx context.Context, tx store.Tx) {
			v, err := tx.Read(ctx, "AuditEvent", eventID(3))
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			_ = json.Unmarshal(v.Body, &m)
			m["outcome"] = "4"
			body, _ := json.Marshal(m)
			// Rewritten in place, as someone with database access might.
			if _, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "AuditEvent", ID: v.ID, VersionID: 2, LastUpdated: time.Now(), Method: "PUT", Body: body}}); err != nil {
				t.Fatal(err)
			}
		}, "chain-0000000000000003"},
		{"removed in the middle", func(t *testing.T, ctx context.Context, tx store.Tx) {
			if _, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "AuditEvent", ID: eventID(2), VersionID: 2, LastUpdated: time.Now(), Deleted: true, Method: "DELETE"}}); err != nil {
				t.Fatal(err)
			}
		}, "missing or inserted"},
		{"removed at the end", func(t *testing.T, ctx context.Context, tx store.Tx) {
			if _, err := tx.Put(ctx, store.Write{Version: store.Version{Type: "AuditEvent", ID: eventID(5), VersionID: 2, LastUpdated: time.Now(), Deleted: true, Method: "DELETE"}}); err != nil {
				t.Fatal(err)
			}
		}, "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			ctx := context.Background()
			var resources []fhir.Resource
			for _, e := range sampleEvents(5) {
				e.Time = time.Now()
				resources = append(resources, e.AuditEvents()...)
			}
			if err := st.InTx(ctx, func(tx store.Tx) error { return Append(ctx, tx, resources) }); err != nil {
				t.Fatal(err)
			}
			if r, err := Verify(ctx, st, nil); err != nil || len(r.Problems) != 0 {
				t.Fatalf("before tampering: %+v %v", r, err)
			}
			if err := st.InTx(ctx, func(tx store.Tx) error { tt.tamper(t, ctx, tx); return nil }); err != nil {
				t.Fatal(err)
			}
			r, err := Verify(ctx, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) == 0 || !strings.Contains(strings.Join(r.Problems, "\n"), tt.want) {
				t.Fatalf("problems = %q, want one mentioning %q", r.Problems, tt.want)
			}
		})
	}
}

// TestChainHashIsOverEncodingJSON holds the chain's definition: SHA-256
// over the previous hash, a newline and encoding/json.Marshal's bytes of
// the event. Chains written before the trail had its own JSON writer must
// still verify, so the writer may be faster but never different.
func TestChainHashIsOverEncodingJSON(t *testing.T) {
	events := sampleEvents(1)
	events[0].Path = "/fhir/Patient?name=<O'Brien>&_count=1" // HTML-escaped by encoding/json
	for i, res := range events[0].AuditEvents() {
		setChain(res, int64(i+1), "", "")
		body, err := json.Marshal(map[string]any(res))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), `\u003c`) {
			t.Fatalf("the event should hold an HTML-escaped character: %s", body)
		}
		sum := sha256.Sum256(append([]byte("genesis\n"), body...))
		got, err := chainHash("", res)
		if err != nil {
			t.Fatal(err)
		}
		if want := hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("chainHash = %s, want %s (over %s)", got, want, body)
		}
	}
}
