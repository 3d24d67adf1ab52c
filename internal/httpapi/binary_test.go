package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/httpapi"
)

// pdfLike returns n bytes that start like a PDF and go on at random (so
// that nothing compresses them and a misplaced chunk shows).
func pdfLike(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

// raw sends a request with a raw body (nil for none) and headers (set in
// order: a later one replaces an earlier), and returns the response with
// its body read but not parsed. path may be a full URL.
func (ts *testServer) raw(method, path string, body io.Reader, headers ...string) (*http.Response, []byte) {
	ts.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = ts.srv.URL + path
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp, data
}

// binaryJSON decodes a Binary resource and its data.
func binaryJSON(t *testing.T, body []byte) (map[string]any, []byte) {
	t.Helper()
	var res map[string]any
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("not JSON: %v: %.200s", err, body)
	}
	data, err := base64.StdEncoding.DecodeString(res["data"].(string))
	if err != nil {
		t.Fatalf("data is not base64: %v", err)
	}
	return res, data
}

// TestBinaryRaw: a 20 MiB document sent raw is stored as a Binary and read
// back raw byte for byte with its Content-Type, and as FHIR JSON with its
// data in base64; an update makes a second version, and each version
// reads back its own bytes; history, search and JSON Patch see the data.
func TestBinaryRaw(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			ts := newTestServerOn(t, so.open(t), httpapi.Options{})
			ts.do("PUT", "/fhir/Patient/p1", map[string]any{"resourceType": "Patient", "id": "p1"}).expect(t, http.StatusCreated)
			v1 := pdfLike(20<<20, 1)
			resp, body := ts.raw("POST", "/fhir/Binary", bytes.NewReader(v1), "Content-Type", "application/pdf", httpapi.SecurityContextHeader, "Patient/p1")
			if resp.StatusCode != http.StatusCreated || len(body) != 0 || resp.Header.Get("ETag") != `W/"1"` {
				t.Fatalf("raw POST: %d %s, ETag %q: %.300s", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("ETag"), body)
			}
			loc := resp.Header.Get("Location")
			id := strings.Split(strings.TrimPrefix(loc, ts.base+"/Binary/"), "/")[0]

			resp, body = ts.raw("GET", "/fhir/Binary/"+id, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(body, v1) {
				t.Fatalf("raw GET: %d %q, %d bytes (equal: %v)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), bytes.Equal(body, v1))
			}
			if resp.Header.Get("Content-Length") != strconv.Itoa(len(v1)) || resp.Header.Get("ETag") != `W/"1"` {
				t.Errorf("raw GET headers: %v", resp.Header)
			}
			resp, body = ts.raw("GET", "/fhir/Binary/"+id, nil, "Accept", "application/fhir+json")
			res, data := binaryJSON(t, body)
			if resp.StatusCode != 200 || !bytes.Equal(data, v1) || res["contentType"] != "application/pdf" ||
				res["securityContext"].(map[string]any)["reference"] != "Patient/p1" || res["_data"] != nil {
				t.Errorf("FHIR GET: %d, data equal %v, %v %v %v", resp.StatusCode, bytes.Equal(data, v1), res["contentType"], res["securityContext"], res["_data"])
			}
			if resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("FHIR GET Content-Length %q for %d bytes", resp.Header.Get("Content-Length"), len(body))
			}

			// A new version by raw PUT; each version keeps its bytes.
			v2 := pdfLike(3<<20+5, 2)
			resp, _ = ts.raw("PUT", "/fhir/Binary/"+id, bytes.NewReader(v2), "Content-Type", "application/pdf", httpapi.SecurityContextHeader, "Patient/p1")
			if resp.StatusCode != 200 || resp.Header.Get("ETag") != `W/"2"` {
				t.Fatalf("raw PUT: %d %v", resp.StatusCode, resp.Header)
			}
			for vid, want := range map[string][]byte{"1": v1, "2": v2} {
				if _, body := ts.raw("GET", "/fhir/Binary/"+id+"/_history/"+vid, nil); !bytes.Equal(body, want) {
					t.Errorf("raw vread %s: %d bytes, not those of version %s", vid, len(body), vid)
				}
				_, body := ts.raw("GET", "/fhir/Binary/"+id+"/_history/"+vid, nil, "Accept", "application/fhir+json")
				if _, data := binaryJSON(t, body); !bytes.Equal(data, want) {
					t.Errorf("FHIR vread %s: data differs", vid)
				}
			}
			r := ts.do("GET", "/fhir/Binary/"+id+"/_history", nil).expect(t, http.StatusOK)
			for i, e := range entries(r) {
				want := map[int][]byte{0: v2, 1: v1}[i]
				if d, _ := base64.StdEncoding.DecodeString(e["data"].(string)); !bytes.Equal(d, want) {
					t.Errorf("history entry %d: data differs", i)
				}
			}
			r = ts.do("GET", "/fhir/Binary?_id="+id, nil).expect(t, http.StatusOK)
			if es := entries(r); len(es) != 1 || es[0]["data"] != base64.StdEncoding.EncodeToString(v2) {
				t.Errorf("search: %d entries, data equal %v", len(es), len(es) == 1 && es[0]["data"] == base64.StdEncoding.EncodeToString(v2))
			}
			// A patch sees and keeps the data.
			patch := `[{"op":"test","path":"/contentType","value":"application/pdf"},{"op":"replace","path":"/contentType","value":"application/octet-stream"}]`
			resp, _ = ts.raw("PATCH", "/fhir/Binary/"+id, strings.NewReader(patch), "Content-Type", "application/json-patch+json", "Prefer", "return=minimal")
			if resp.StatusCode != 200 {
				t.Fatalf("patch: %d", resp.StatusCode)
			}
			resp, body = ts.raw("GET", "/fhir/Binary/"+id, nil)
			if resp.Header.Get("Content-Type") != "application/octet-stream" || !bytes.Equal(body, v2) {
				t.Errorf("after the patch: %q, data equal %v", resp.Header.Get("Content-Type"), bytes.Equal(body, v2))
			}
		})
	}
}

// TestBinaryNegotiation: what a raw read and a raw write accept and answer.
func TestBinaryNegotiation(t *testing.T) {
	ts := newTestServerOn(t, apiStores()[0].open(t), httpapi.Options{MaxBinaryBytes: 1 << 20})
	cda := []byte(`<ClinicalDocument xmlns="urn:hl7-org:v3"/>`)
	resp, body := ts.raw("POST", "/fhir/Binary", bytes.NewReader(cda), "Content-Type", "application/xml", "Prefer", "return=representation")
	res, data := binaryJSON(t, body)
	if resp.StatusCode != 201 || !bytes.Equal(data, cda) || res["contentType"] != "application/xml" || res["securityContext"] != nil {
		t.Fatalf("raw XML document, return=representation: %d %.300s", resp.StatusCode, body)
	}
	id := res["id"].(string)
	// The document is served as itself whatever the Accept, unless a FHIR
	// format is asked for (and FHIR XML is not served).
	for accept, want := range map[string]int{"": 200, "*/*": 200, "application/xml": 200, "text/html": 200,
		"application/fhir+json": 200, "application/json": 200, "application/fhir+xml": 406} {
		resp, body := ts.raw("GET", "/fhir/Binary/"+id, nil, "Accept", accept)
		isRaw := bytes.Equal(body, cda)
		if resp.StatusCode != want || want == 200 && isRaw == strings.Contains(accept, "json") {
			t.Errorf("Accept %q: %d, raw %v: %.100s", accept, resp.StatusCode, isRaw, body)
		}
	}
	// A Binary's history is a Bundle like any other's.
	if resp, _ := ts.raw("GET", "/fhir/Binary/"+id+"/_history", nil, "Accept", "application/fhir+xml"); resp.StatusCode != 406 {
		t.Errorf("history in XML: %d", resp.StatusCode)
	}
	for _, q := range []string{"_format=json", "_summary=true", "_elements=contentType"} {
		if _, body := ts.raw("GET", "/fhir/Binary/"+id+"?"+q, nil); bytes.Equal(body, cda) || !bytes.Contains(body, []byte(`"resourceType":"Binary"`)) {
			t.Errorf("?%s: not the resource: %.100s", q, body)
		}
	}
	// An active document is sandboxed and saved, never run as a page.
	resp, _ = ts.raw("POST", "/fhir/Binary", strings.NewReader("<script>alert(1)</script>"), "Content-Type", "text/html")
	loc := strings.TrimPrefix(resp.Header.Get("Location"), ts.srv.URL)
	resp, _ = ts.raw("GET", loc, nil)
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("Content-Disposition") != "attachment" {
		t.Errorf("HTML served without sandbox: %v", resp.Header)
	}
	// Over the raw limit: 413; an empty body: 400; the server's marker
	// may not be sent; JSON bodies keep the JSON limits.
	if resp, _ := ts.raw("POST", "/fhir/Binary", bytes.NewReader(make([]byte, 1<<20+1)), "Content-Type", "application/pdf"); resp.StatusCode != 413 {
		t.Errorf("over the limit: %d", resp.StatusCode)
	}
	if resp, _ := ts.raw("POST", "/fhir/Binary", strings.NewReader(""), "Content-Type", "application/pdf"); resp.StatusCode != 400 {
		t.Errorf("empty upload: %d", resp.StatusCode)
	}
	forged := map[string]any{"resourceType": "Binary", "contentType": "text/plain",
		"_data": map[string]any{"extension": []any{map[string]any{"url": "https://gpcloud.dev/fhir/StructureDefinition/stored-data", "valueString": "1 bytes"}}}}
	ts.do("POST", "/fhir/Binary", forged).expect(t, http.StatusBadRequest)
	// A Binary written as FHIR JSON is served raw too, and reads back as
	// written (base64 with line breaks stays in the JSON as sent).
	for _, b64 := range []string{"aGVsbG8gd29ybGQ=", "aGVsbG8g\nd29ybGQ="} {
		r := ts.do("POST", "/fhir/Binary", map[string]any{"resourceType": "Binary", "contentType": "text/plain", "data": b64}).expect(t, http.StatusCreated)
		if r.str("data") != b64 {
			t.Errorf("JSON Binary %q came back as %q", b64, r.str("data"))
		}
		if resp, body := ts.raw("GET", "/fhir/Binary/"+r.str("id"), nil); string(body) != "hello world" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("JSON Binary served raw: %q %q", resp.Header.Get("Content-Type"), body)
		}
	}
}

// TestBinaryRawAccess: an uploaded letter is its patient's record: another
// practice's GP gets 404 for it however they ask, the GP of its practice
// reads it, the upload is audited under the patient, and staff must say
// whose a document is.
func TestBinaryRawAccess(t *testing.T) {
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			w := newWorld(t, so.open(t))
			gpA := w.token(t, &auth.Principal{Subject: "u-gp-a", Role: auth.RoleGP, Practice: "org-a"}, auth.RoleScopes[auth.RoleGP])
			gpB := w.token(t, &auth.Principal{Subject: "u-gp-b", Role: auth.RoleGP, Practice: "org-b"}, auth.RoleScopes[auth.RoleGP])
			letter := pdfLike(2<<20+3, 3)
			resp, body := w.ts.raw("POST", "/fhir/Binary", bytes.NewReader(letter), "Authorization", gpA,
				"Content-Type", "application/pdf", httpapi.SecurityContextHeader, "Patient/pa1")
			if resp.StatusCode != 201 {
				t.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
			id := strings.Split(strings.TrimPrefix(resp.Header.Get("Location"), w.ts.base+"/Binary/"), "/")[0]
			for _, accept := range []string{"", "application/fhir+json"} {
				if resp, _ := w.ts.raw("GET", "/fhir/Binary/"+id, nil, "Authorization", gpB, "Accept", accept); resp.StatusCode != 404 {
					t.Errorf("another practice's GP reads the letter (Accept %q): %d", accept, resp.StatusCode)
				}
				if resp, _ := w.ts.raw("GET", "/fhir/Binary/"+id+"/_history/1", nil, "Authorization", gpB, "Accept", accept); resp.StatusCode != 404 {
					t.Errorf("another practice's GP vreads the letter (Accept %q): %d", accept, resp.StatusCode)
				}
			}
			if r := w.ts.do("GET", "/fhir/Binary?_id="+id, nil, "Authorization", gpB).expect(t, 200); len(entries(r)) != 0 {
				t.Errorf("another practice's GP finds the letter")
			}
			if resp, _ := w.ts.raw("PUT", "/fhir/Binary/"+id, strings.NewReader("x"), "Authorization", gpB,
				"Content-Type", "application/pdf", httpapi.SecurityContextHeader, "Patient/pb1"); resp.StatusCode != 404 {
				t.Errorf("another practice's GP overwrites the letter: %d", resp.StatusCode)
			}
			if resp, body := w.ts.raw("GET", "/fhir/Binary/"+id, nil, "Authorization", gpA); resp.StatusCode != 200 || !bytes.Equal(body, letter) {
				t.Errorf("the practice's GP reads the letter: %d, equal %v", resp.StatusCode, bytes.Equal(body, letter))
			}
			// Whose is it? Not said, or another practice's patient: refused.
			for _, sc := range []string{"", "Patient/pb1"} {
				resp, _ := w.ts.raw("POST", "/fhir/Binary", bytes.NewReader(letter), "Authorization", gpA, "Content-Type", "application/pdf", httpapi.SecurityContextHeader, sc)
				if resp.StatusCode != 403 {
					t.Errorf("upload with X-Security-Context %q: %d, want 403", sc, resp.StatusCode)
				}
			}
			w.trail.Flush()
			admin := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.rs")
			r := w.ts.do("GET", "/fhir/AuditEvent?patient=Patient/pa1&entity=Binary/"+id+"&_count=100", nil, "Authorization", admin).expect(t, 200)
			actions := map[string]bool{}
			for _, e := range entries(r) {
				actions[e["action"].(string)] = true
			}
			if !actions["C"] || !actions["R"] {
				t.Errorf("audit events of Patient/pa1 naming the letter: actions %v", actions)
			}
		})
	}
}
