package workspace_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/oauth"
)

// TestLabThroughBackendServices: a lab's system registered as a SMART
// Backend Services client gets its own token (a signed assertion,
// client_credentials) and posts a pathology message over HTTP; the
// result is sorted into the patient's record and waits, flagged, in the
// GP's inbox. The lab's token may create results but not read records.
func TestLabThroughBackendServices(t *testing.T) {
	se := signedIn(t)
	wp := &workflowPractice{s: se.s, practice: se.practice}
	patient := feedPatient(t, wp, se.practice.Patients[0])
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "lab", Algorithm: string(jose.ES384), Use: "sig"}}}
	if err := oauth.RegisterClient(context.Background(), se.s.Store, oauth.Client{ID: "leeds-lab", Kind: oauth.KindSystem,
		Scopes: "system/DiagnosticReport.c", JWKS: jwks}); err != nil {
		t.Fatal(err)
	}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "lab"))
	assertion, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "leeds-lab", Subject: "leeds-lab", Audience: jwt.Audience{se.s.URL + "/auth/token"},
		Expiry: jwt.NewNumericDate(time.Now().Add(4 * time.Minute)), ID: auth.NewSecret()}).Serialize()
	resp, err := http.PostForm(se.s.URL+"/auth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"system/DiagnosticReport.c"},
		"client_assertion_type": {oauth.AssertionType}, "client_assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token: %d", resp.StatusCode)
	}
	msg := fmt.Sprintf(`{"resourceType":"Bundle","type":"message","entry":[
 {"fullUrl":"urn:uuid:h","resource":{"resourceType":"MessageHeader","id":"m1","eventCoding":{"system":"https://fhir.nhs.uk/CodeSystem/message-event","code":"pathology-test-report"},"source":{"endpoint":"https://lab.example"}}},
 {"fullUrl":"urn:uuid:dr","resource":{"resourceType":"DiagnosticReport","identifier":[{"system":"https://lab.example/report","value":"FBC-1"}],"status":"final","code":{"text":"Full blood count"},"subject":{"reference":"urn:uuid:pt"},"issued":"%s","result":[{"reference":"urn:uuid:hb"}]}},
 {"fullUrl":"urn:uuid:pt","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"%s"}],"birthDate":"%s"}},
 {"fullUrl":"urn:uuid:hb","resource":{"resourceType":"Observation","status":"final","code":{"text":"Haemoglobin"},"subject":{"reference":"urn:uuid:pt"},"valueQuantity":{"value":98,"unit":"g/L"},"referenceRange":[{"low":{"value":115,"unit":"g/L"},"high":{"value":165,"unit":"g/L"}}]}}]}`,
		time.Now().UTC().Format(time.RFC3339), patient.NHSNumber, patient.Family, patient.BirthDate)
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest("POST", se.s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/fhir/$process-message", msg); code != http.StatusOK || !strings.Contains(body, `"code":"ok"`) {
		t.Fatalf("$process-message: %d %s", code, body)
	}
	// The lab reads nothing back.
	req, _ := http.NewRequest("GET", se.s.URL+"/fhir/Patient", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("the lab's token reads patients: %v %d", err, r.StatusCode)
	}
	// The GP opens the inbox: sorted into the record, flagged abnormal.
	req, _ = http.NewRequest("GET", se.s.URL+"/workspace/inbox", nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(page), "Full blood count") || !strings.Contains(string(page), "Abnormal") || !strings.Contains(string(page), strings.ToUpper(patient.Family)) {
		t.Errorf("the GP's inbox does not list the lab's result in the record:\n%s", page)
	}
}
