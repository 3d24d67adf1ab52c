package clinical

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// dapb4101 is a pathology message shaped as DAPB4101 sends it: every
// resource its own entry, referenced by urn:uuid, a full blood count as a
// panel whose members are the tests.
const dapb4101 = `{"resourceType":"Bundle","type":"message","identifier":{"system":"https://tools.ietf.org/html/rfc4122","value":"b1"},"entry":[
 {"fullUrl":"urn:uuid:h","resource":{"resourceType":"MessageHeader","id":"h1","eventCoding":{"system":"https://fhir.nhs.uk/CodeSystem/message-event","code":"pathology-test-report"},"source":{"name":"Leeds Pathology","endpoint":"https://lab.example"},"focus":[{"reference":"urn:uuid:dr"}]}},
 {"fullUrl":"urn:uuid:dr","resource":{"resourceType":"DiagnosticReport","identifier":[{"system":"https://lab.example/report","value":"R1"}],"status":"final","code":{"text":"Full blood count"},"subject":{"reference":"urn:uuid:pt"},"issued":"2026-11-30T09:00:00Z","performer":[{"reference":"urn:uuid:org"}],"basedOn":[{"reference":"urn:uuid:sr"}],"result":[{"reference":"urn:uuid:fbc"}],"specimen":[{"reference":"urn:uuid:sp"}],"conclusion":"Low haemoglobin"}},
 {"fullUrl":"urn:uuid:sp","resource":{"resourceType":"Specimen","accessionIdentifier":{"system":"https://lab.example/specimen","value":"S1"},"type":{"coding":[{"system":"http://snomed.info/sct","code":"87612001","display":"Blood"}]},"subject":{"reference":"urn:uuid:pt"},"receivedTime":"2026-11-29T15:00:00Z","collection":{"collectedDateTime":"2026-11-29T09:30:00Z","collector":{"reference":"urn:uuid:org"}}}},
 {"fullUrl":"urn:uuid:pt","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Jones","given":["Ann"]}],"birthDate":"1970-03-12"}},
 {"fullUrl":"urn:uuid:org","resource":{"resourceType":"Organization","name":"Leeds Teaching Hospitals Pathology"}},
 {"fullUrl":"urn:uuid:sr","resource":{"resourceType":"ServiceRequest","identifier":[{"system":"https://gpcloud.dev/fhir/Id/order-number","value":"ORD-7"}],"status":"active","intent":"order","subject":{"reference":"urn:uuid:pt"}}},
 {"fullUrl":"urn:uuid:fbc","resource":{"resourceType":"Observation","status":"final","code":{"text":"Full blood count"},"subject":{"reference":"urn:uuid:pt"},"hasMember":[{"reference":"urn:uuid:hb"},{"reference":"urn:uuid:plt"}]}},
 {"fullUrl":"urn:uuid:hb","resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"1022431000000105","display":"Haemoglobin estimation"}],"text":"Haemoglobin"},"subject":{"reference":"urn:uuid:pt"},"specimen":{"reference":"urn:uuid:sp"},"valueQuantity":{"value":98,"unit":"g/L"},"referenceRange":[{"low":{"value":115,"unit":"g/L"},"high":{"value":165,"unit":"g/L"}}],"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"L"}]}],"note":[{"authorReference":{"reference":"urn:uuid:org"},"text":"Repeat in 2 weeks"}]}},
 {"fullUrl":"urn:uuid:plt","resource":{"resourceType":"Observation","status":"final","code":{"text":"Platelets"},"subject":{"reference":"urn:uuid:pt"},"valueQuantity":{"value":250,"unit":"10*9/L"},"referenceRange":[{"low":{"value":150},"high":{"value":400}}]}}
]}`

func TestInboxItemsFromMessage(t *testing.T) {
	b, err := fhir.Unmarshal([]byte(dapb4101))
	if err != nil {
		t.Fatal(err)
	}
	items, info, err := InboxItemsFromMessage(b)
	if err != nil || len(items) != 1 {
		t.Fatalf("items %d, %v", len(items), err)
	}
	if info.ID != "h1" || info.Event != "pathology-test-report" || info.Source != "Leeds Pathology" {
		t.Errorf("info: %+v", info)
	}
	in := IncomingOf(items[0])
	if in.State != InboxReceived || in.Claimed.NHSNumber != "9434765919" || in.Claimed.Family != "Jones" || in.Claimed.BirthDate != "1970-03-12" {
		t.Errorf("claimed: %+v state %q", in.Claimed, in.State)
	}
	if len(in.Lines) != 2 || in.Lines[0].Name != "Haemoglobin" || !in.Lines[0].Abnormal || in.From != "Leeds Teaching Hospitals Pathology" {
		t.Errorf("lines %+v from %q", in.Lines, in.From)
	}
	if got := OrderNumbers(items[0]); len(got) != 1 || got[0] != "ORD-7" {
		t.Errorf("order numbers %v", got)
	}
	// The specimen kept, contained, named by the report and its test;
	// what names the message's other entries (the collector) is not.
	var spec map[string]any
	for _, c := range list(items[0], "contained") {
		if c["resourceType"] == "Specimen" {
			spec = c
		}
	}
	if spec == nil || str(mapOf(spec["collection"]), "collectedDateTime") != "2026-11-29T09:30:00Z" || spec["receivedTime"] != "2026-11-29T15:00:00Z" ||
		mapOf(spec["collection"])["collector"] != nil || str(firstMap(items[0]["specimen"]), "reference") != "#"+str(spec, "id") {
		t.Errorf("specimen %v, report's %v", spec, items[0]["specimen"])
	}
	for _, c := range list(items[0], "contained") {
		if c["specimen"] != nil {
			t.Errorf("a contained test points at the contained specimen (ref-1 refuses it): %v", c)
		}
	}
	raw, _ := json.Marshal(items[0])
	if strings.Contains(string(raw), "urn:uuid") {
		t.Errorf("the item still names the message's entries: %s", raw)
	}

	for name, tc := range map[string]struct{ edit, want string }{
		"not a message":         {`"type":"message"`, "Bundle of type message"},
		"no header first":       {`"resourceType":"MessageHeader"`, "first entry must be its MessageHeader"},
		"subject not a Patient": {`"subject":{"reference":"urn:uuid:pt"},"issued"`, "subject is not a Patient"},
		"result not in message": {`"result":[{"reference":"urn:uuid:fbc"}]`, "is not an Observation in the message"},
		"no report":             {`"resourceType":"DiagnosticReport"`, "no DiagnosticReport"},
	} {
		body := dapb4101
		switch name {
		case "not a message":
			body = strings.Replace(body, tc.edit, `"type":"collection"`, 1)
		case "no header first":
			body = strings.Replace(body, tc.edit, `"resourceType":"Basic"`, 1)
		case "subject not a Patient":
			body = strings.Replace(body, tc.edit, `"subject":{"reference":"urn:uuid:org"},"issued"`, 1)
		case "result not in message":
			body = strings.Replace(body, tc.edit, `"result":[{"reference":"urn:uuid:nowhere"}]`, 1)
		case "no report":
			body = strings.Replace(body, tc.edit, `"resourceType":"Basic"`, 1)
		}
		b, err := fhir.Unmarshal([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := InboxItemsFromMessage(b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// FuzzInboxItemsFromMessage: whatever a sender posts is read without a
// panic, and what is read names no entry of the message.
func FuzzInboxItemsFromMessage(f *testing.F) {
	f.Add([]byte(dapb4101))
	f.Add([]byte(`{"resourceType":"Bundle","type":"message","entry":[{"resource":{"resourceType":"MessageHeader"}},{"resource":{"resourceType":"DiagnosticReport","subject":{"reference":"x"},"result":[{"reference":"x"}]}},{"fullUrl":"x","resource":{"resourceType":"Observation","hasMember":[{"reference":"x"}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := fhir.Unmarshal(data)
		if err != nil {
			return
		}
		items, _, err := InboxItemsFromMessage(b)
		if err != nil {
			return
		}
		for _, it := range items {
			if _, err := json.Marshal(it); err != nil {
				t.Fatal(err)
			}
		}
	})
}
