package gpconnect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// doXML is do with Accept application/fhir+xml (and an XML body when
// body is set): it returns the status and the raw response.
func (f *fixture) doXML(r req, accept string) (int, []byte, string) {
	f.t.Helper()
	var body io.Reader
	if r.body != nil {
		j, _ := json.Marshal(r.body)
		x, err := encodeXML(j)
		if err != nil {
			f.t.Fatal(err)
		}
		body = bytes.NewReader(x)
	}
	hr, _ := http.NewRequest(r.method, f.srv.URL+"/"+practiceODS+"/STU3/1/gpconnect"+r.path, body)
	hr.Header.Set("Authorization", "Bearer "+jwt(f.claims(r.scope)))
	hr.Header.Set("Ssp-TraceID", "t")
	hr.Header.Set("Ssp-From", consumerASID)
	hr.Header.Set("Ssp-To", providerASID)
	hr.Header.Set("Ssp-InteractionID", urn+r.interaction)
	hr.Header.Set("Accept", accept)
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/fhir+xml")
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Content-Type")
}

// normal is a resource through JSON with numbers as json.Number, for
// comparing what the XML said with what the JSON says.
func normal(t *testing.T, v any) any {
	raw, _ := json.Marshal(v)
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// XML: the same resources as JSON, read back by the FHIR XML reader;
// bodies in XML accepted; errors in XML; the structured record well
// formed with its STU3 elements.
func TestXML(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	for _, r := range []req{readRich, patientSearch(nhsRich), f.slotSearch("&_include:recurse=Schedule:actor:Practitioner"), getMetadata} {
		_, want, _ := f.do(r)
		code, x, ct := f.doXML(r, "application/fhir+xml")
		if code != 200 || !strings.HasPrefix(ct, "application/fhir+xml") {
			t.Fatalf("%s: %d %s %s", r.path, code, ct, x)
		}
		got, err := fhirxml.Decode(x)
		if r.interaction == getMetadata.interaction {
			// acceptUnknown is STU3's alone: R4's reader refuses it.
			if err == nil || !strings.Contains(err.Error(), "acceptUnknown") {
				t.Errorf("metadata XML: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", r.path, err, x)
		}
		if !reflect.DeepEqual(normal(t, got), normal(t, want)) {
			t.Errorf("%s: XML and JSON differ\nXML:  %v\nJSON: %v", r.path, normal(t, got), normal(t, want))
		}
	}
	// _format wins over Accept.
	r := readRich
	r.path += "?_format=xml"
	if _, x, ct := f.doXML(r, "application/fhir+json"); !strings.HasPrefix(ct, "application/fhir+xml") || !bytes.Contains(x, []byte("<Patient")) {
		t.Errorf("_format=xml: %s", ct)
	}
	// An error in XML.
	code, x, _ := f.doXML(req{method: "GET", path: "/fhir/Patient/nobody", interaction: "fhir:rest:read:patient-1", scope: "patient/*.read"}, "application/fhir+xml")
	if code != 404 || !bytes.Contains(x, []byte(`<code value="PATIENT_NOT_FOUND"/>`)) {
		t.Errorf("error in XML: %d %s", code, x)
	}
	// A booking sent in XML.
	_, b, _ := f.do(f.slotSearch(""))
	book := bookReq
	book.body = bookingBody("rich", entriesOf(b, "Slot")[0])
	code, x, _ = f.doXML(book, "application/fhir+xml")
	if code != 201 || !bytes.Contains(x, []byte(`<status value="booked"/>`)) {
		t.Errorf("booking in XML: %d %s", code, x)
	}
	// The structured record: well formed, elements in FHIR order.
	code, x, _ = f.doXML(structuredReq(nhsRich, param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": true}),
		param("includeMedication"), param("includeProblems"), param("includeImmunisations")), "application/fhir+xml")
	if code != 200 {
		t.Fatalf("structured record in XML: %d %s", code, x)
	}
	wellFormed(t, x)
	s := string(x)
	for _, order := range [][2]string{
		{`<clinicalStatus value="active"/>`, `<assertedDate value=`}, // AllergyIntolerance: status before the dates
		{`<assertedDate value=`, `<recorder>`},                       // assertedDate in recordedDate's place
		{`<notGiven value="false"/>`, `<vaccineCode>`},               // Immunization
		{`<meta>`, `<extension url=`},                                // resource elements before extensions
		{`<Bundle xmlns="http://hl7.org/fhir">`, `<type value="collection"/>`},
	} {
		i, j := strings.Index(s, order[0]), strings.Index(s, order[1])
		if i < 0 || j < 0 || i > j {
			t.Errorf("%s should come before %s", order[0], order[1])
		}
	}
}

// wellFormed fails the test when x is not well-formed XML.
func wellFormed(t *testing.T, x []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(x))
	for {
		if _, err := dec.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well formed: %v", err)
		}
	}
}
