package service

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// TestBinaryDataStoredBeside: each Binary, written and read back, is the
// resource as written, byte for byte; its data goes beside the JSON only
// when its base64 is canonical (written back exactly), and the marker
// keeps company with the client's own extensions on data.
func TestBinaryDataStoredBeside(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	s := New(st, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	tests := []struct {
		name   string
		body   string
		beside bool // data stored beside the JSON
	}{
		{"canonical", `{"resourceType":"Binary","contentType":"text/plain","data":"aGVsbG8="}`, true},
		{"no padding needed", `{"resourceType":"Binary","contentType":"text/plain","data":"aGVsbG8h"}`, true},
		{"client's own extension and id on data", `{"resourceType":"Binary","contentType":"text/plain","data":"aGk=",` +
			`"_data":{"id":"d1","extension":[{"url":"http://example.org/x","valueString":"y"}]}}`, true},
		{"line breaks", `{"resourceType":"Binary","contentType":"text/plain","data":"aGVs\nbG8="}`, false},
		{"spaces", `{"resourceType":"Binary","contentType":"text/plain","data":"aGVs bG8="}`, false},
		{"one padding character", `{"resourceType":"Binary","contentType":"text/plain","data":"aGk="}`, true},
		{"non-zero padding bits", `{"resourceType":"Binary","contentType":"text/plain","data":"aGl="}`, false},
		{"no data", `{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"Patient/p"}}`, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := fhir.Unmarshal([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			id := "b" + itoa(int64(i))
			out, err := s.Update(ctx, "Binary", id, withID(res, id), Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			stored, err := st.Read(ctx, "Binary", id)
			if err != nil {
				t.Fatal(err)
			}
			_, _, cerr := st.OpenContent(ctx, "Binary", id, stored.VersionID)
			if beside := cerr == nil; beside != tc.beside {
				t.Errorf("data beside the JSON: %v, want %v (stored %s)", beside, tc.beside, stored.Body)
			}
			back, err := ExpandBody(ctx, st, out.Version)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := fhir.Unmarshal([]byte(tc.body))
			want["id"] = id
			want.SetVersion("1", now)
			wantBody, _ := fhir.Marshal(want)
			if string(back.Body) != string(wantBody) {
				t.Errorf("read back\n%s\nwant\n%s", back.Body, wantBody)
			}
		})
	}
	// The stored JSON tells contents apart (the marker holds the SHA-256),
	// so comparing stored bodies compares the resources.
	stored := func(id, data string) string {
		res, _ := fhir.Unmarshal([]byte(`{"resourceType":"Binary","contentType":"text/plain","data":"` + data + `"}`))
		if _, err := s.Update(ctx, "Binary", id, withID(res, id), Precondition{}); err != nil {
			t.Fatal(err)
		}
		v, _ := st.Read(ctx, "Binary", id)
		return strings.Replace(string(v.Body), `"id":"`+id+`"`, "", 1)
	}
	if a, b, c := stored("same1", "aGVsbG8="), stored("same2", "aGVsbG8="), stored("other", "aGVsbG8h"); a != b || a == c {
		t.Errorf("stored JSON of the same data differs, or of other data is the same:\n%s\n%s\n%s", a, b, c)
	}
	// Only the server writes the marker.
	forged, _ := fhir.Unmarshal([]byte(`{"resourceType":"Binary","contentType":"text/plain","_data":{"extension":[{"url":"` + storedDataURL + `","valueString":"2 bytes, SHA-256 8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"}]}}`))
	_, err = s.Create(ctx, "Binary", forged, "")
	if fe, ok := err.(*fhir.Error); !ok || fe.Status != http.StatusBadRequest {
		t.Errorf("forged marker: %v", err)
	}
	// A version that is not a Binary, or has no stored data, is not split.
	for _, v := range []store.Version{{Type: "Patient", ID: "p", Body: []byte(`{"resourceType":"Patient","_data":"` + storedDataURL + `"}`)}, {Type: "Binary", ID: "x", Deleted: true}} {
		if b, err := SplitBinary(ctx, st, v); b != nil || err != nil {
			t.Errorf("%s/%s split: %v %v", v.Type, v.ID, b, err)
		}
	}
}

func withID(res fhir.Resource, id string) fhir.Resource {
	res["id"] = id
	return res
}
