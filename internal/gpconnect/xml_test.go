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
		got, err := fhirxml.DecodeWith(x, fhirxml.Options{Schema: stu3Schema{}})
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
	structured := structuredReq(nhsRich, param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": true}),
		param("includeMedication"), param("includeProblems"), param("includeImmunisations"))
	code, x, _ = f.doXML(structured, "application/fhir+xml")
	if code != 200 {
		t.Fatalf("structured record in XML: %d %s", code, x)
	}
	// Read back as STU3, it is the JSON record (the ids of the Bundle and
	// its lists are made per request).
	got, err := fhirxml.DecodeWith(x, fhirxml.Options{Schema: stu3Schema{}})
	if err != nil {
		t.Fatalf("structured record XML: %v", err)
	}
	_, want, _ := f.do(structured)
	if len(list(got["entry"])) != len(list(want["entry"])) || len(list(got["entry"])) < 10 {
		t.Errorf("structured record: %d entries in XML, %d in JSON", len(list(got["entry"])), len(list(want["entry"])))
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

// childNames lists the names of the root element's children in order.
func childNames(t *testing.T, x []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(x))
	var names []string
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 1 && (len(names) == 0 || names[len(names)-1] != e.Name.Local) {
				names = append(names, e.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// The XML writer orders elements as STU3 does, STU3's own elements
// included (R4 renamed or moved them: its order would be wrong).
func TestXMLSTU3Order(t *testing.T) {
	cases := []struct {
		json string
		want []string
	}{
		{`{"resourceType":"Immunization","id":"i","date":"2025-10-01","practitioner":[{"actor":{"reference":"Practitioner/p"}}],
		  "vaccinationProtocol":[{"doseSequence":1}],"explanation":{"reasonNotGiven":[{"text":"x"}]},"notGiven":true,"status":"completed",
		  "vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p"},"primarySource":true,"extension":[{"url":"u","valueString":"v"}],"identifier":[{"value":"1"}]}`,
			[]string{"id", "extension", "identifier", "status", "notGiven", "vaccineCode", "patient", "date", "primarySource", "practitioner", "explanation", "vaccinationProtocol"}},
		{`{"resourceType":"AllergyIntolerance","recorder":{"reference":"Practitioner/p"},"assertedDate":"2020","patient":{"reference":"Patient/p"},
		  "code":{"text":"x"},"verificationStatus":"unconfirmed","clinicalStatus":"active","note":[{"text":"n"}],"lastOccurrence":"2021"}`,
			[]string{"clinicalStatus", "verificationStatus", "code", "patient", "assertedDate", "recorder", "lastOccurrence", "note"}},
		{`{"resourceType":"Observation","comment":"c","context":{"reference":"Encounter/e"},"issued":"2020-01-01T00:00:00Z","status":"final",
		  "code":{"text":"x"},"subject":{"reference":"Patient/p"},"effectiveDateTime":"2020","valueString":"v","performer":[{"reference":"Practitioner/p"}]}`,
			[]string{"status", "code", "subject", "context", "effectiveDateTime", "issued", "performer", "valueString", "comment"}},
	}
	for _, c := range cases {
		x, err := encodeXML([]byte(c.json))
		if err != nil {
			t.Fatal(err)
		}
		if got := childNames(t, x); !reflect.DeepEqual(got, c.want) {
			t.Errorf("order %v, want %v\n%s", got, c.want, x)
		}
	}
}

// What the STU3 reader accepts, the writer writes back to the same
// resource (and the reader never panics).
func FuzzSTU3XML(f *testing.F) {
	f.Add([]byte(`<Appointment xmlns="http://hl7.org/fhir"><extension url="https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1"><valueReference><reference value="#1"/></valueReference></extension><status value="booked"/><reason><text value="cough"/></reason><slot><reference value="Slot/1"/></slot><participant><actor><reference value="Patient/p"/></actor><status value="accepted"/></participant></Appointment>`))
	f.Add([]byte(`<Immunization xmlns="http://hl7.org/fhir"><status value="completed"/><notGiven value="false"/><vaccineCode><text value="flu"/></vaccineCode><patient><reference value="Patient/p"/></patient><primarySource value="true"/><vaccinationProtocol><doseSequence value="1"/></vaccinationProtocol></Immunization>`))
	f.Add([]byte(`<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="patientNHSNumber"/><valueIdentifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></valueIdentifier></parameter></Parameters>`))
	f.Fuzz(func(t *testing.T, x []byte) {
		res, err := fhirxml.DecodeWith(x, fhirxml.Options{Schema: stu3Schema{}})
		if err != nil {
			return
		}
		j, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		x2, err := encodeXML(j)
		if err != nil {
			t.Fatalf("a resource read is not written: %v", err)
		}
		res2, err := fhirxml.DecodeWith(x2, fhirxml.Options{Schema: stu3Schema{}})
		if err != nil {
			t.Fatalf("what was written is not read: %v\n%s", err, x2)
		}
		if !reflect.DeepEqual(normal(t, res), normal(t, res2)) {
			t.Fatalf("written and read back differ:\n%v\n%v", res, res2)
		}
	})
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
