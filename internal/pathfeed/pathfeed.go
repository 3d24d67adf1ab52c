// Package pathfeed is a local stand-in for the NHS's pathology and
// document messaging (PMIP EDIFACT or DAPB4101 Pathology FHIR over MESH,
// through the NHS Lab Results adaptor), which gpcloud is not connected
// to: it builds the reports and letters such a feed delivers and sends
// them in through the service, as a lab's system sends them through the
// FHIR API. The workspace's inbox then matches and files them.
//
// An item says whose it is by demographics, as a lab's message does: a
// Patient contained in the item (NHS number, date of birth, name) that
// its subject points to. Its meta.tag "received" (clinical.InboxTagSystem)
// puts it into the inbox; a system posting through the API tags its
// items the same way.
package pathfeed

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Patient is who an item is about, as the sender knows them.
type Patient struct {
	NHSNumber, BirthDate, Family, Given string
}

// Test is one result of a report: a number with its unit and reference
// range, or a text result; Interpretation is a v3 ObservationInterpretation
// code (H, L, HH, LL, N) or "".
type Test struct {
	Name, Unit     string
	Value          float64
	Low, High      float64
	Text           string
	Interpretation string
}

// Report is a lab report.
type Report struct {
	Patient
	Title, Lab, Conclusion string
	// OrderNumber is the practice's order number the lab quotes (basedOn),
	// when the tests were requested through gpcloud.
	OrderNumber string
	Tests       []Test
	Issued      time.Time
}

// Letter is a letter (a clinic letter, a discharge summary); Source is
// its item type (clinical.InboundSources: "nhs111", "transfer-of-care",
// ...), "letter" when empty.
type Letter struct {
	Patient
	Title, From, Text, Source string
	Date                      time.Time
}

func num(f float64) json.Number { return json.Number(strconv.FormatFloat(f, 'f', -1, 64)) }

func (p Patient) contained() map[string]any {
	c := map[string]any{"resourceType": "Patient", "id": "patient"}
	if p.BirthDate != "" {
		c["birthDate"] = p.BirthDate
	}
	name := map[string]any{}
	if p.Family != "" {
		name["family"] = p.Family
	}
	if p.Given != "" {
		name["given"] = []any{p.Given}
	}
	if len(name) > 0 {
		c["name"] = []any{name}
	}
	if p.NHSNumber != "" {
		c["identifier"] = []any{map[string]any{"system": clinical.NHSNumberSystem, "value": p.NHSNumber}}
	}
	return c
}

// received is the meta of an item arriving from source.
func received(source string) map[string]any {
	return map[string]any{"tag": []any{map[string]any{"system": clinical.InboxTagSystem, "code": clinical.InboxReceived},
		map[string]any{"system": clinical.InboxSourceSystem, "code": source}}}
}

// Resource is the report as a DiagnosticReport with its Observations and
// the patient contained.
func (r Report) Resource() fhir.Resource {
	contained := []any{r.Patient.contained()}
	var results []any
	for i, t := range r.Tests {
		id := "obs" + strconv.Itoa(i+1)
		o := map[string]any{"resourceType": "Observation", "id": id, "status": "final", "code": map[string]any{"text": t.Name},
			"issued": r.Issued.UTC().Format(time.RFC3339)}
		if t.Text != "" {
			o["valueString"] = t.Text
		} else {
			o["valueQuantity"] = map[string]any{"value": num(t.Value), "unit": t.Unit}
			o["referenceRange"] = []any{map[string]any{"low": map[string]any{"value": num(t.Low), "unit": t.Unit}, "high": map[string]any{"value": num(t.High), "unit": t.Unit}}}
		}
		if t.Interpretation != "" {
			o["interpretation"] = []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": t.Interpretation}}}}
		}
		contained = append(contained, o)
		results = append(results, map[string]any{"reference": "#" + id})
	}
	res := fhir.Resource{"resourceType": "DiagnosticReport", "meta": received("pathology"), "status": "final",
		"category": []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "HM", "display": "Hematology"}}}},
		"code":     map[string]any{"text": r.Title}, "subject": map[string]any{"reference": "#patient"},
		"issued": r.Issued.UTC().Format(time.RFC3339), "performer": []any{map[string]any{"display": r.Lab}},
		"contained": contained}
	if len(results) > 0 {
		res["result"] = results
	}
	if r.Conclusion != "" {
		res["conclusion"] = r.Conclusion
	}
	if r.OrderNumber != "" {
		res["basedOn"] = []any{map[string]any{"identifier": map[string]any{"system": clinical.OrderNumberSystem, "value": r.OrderNumber}}}
	}
	return res
}

// Resource is the letter as a DocumentReference with its text attached
// and the patient contained.
func (l Letter) Resource() fhir.Resource {
	source := l.Source
	if source == "" {
		source = "letter"
	}
	return fhir.Resource{"resourceType": "DocumentReference", "meta": received(source), "status": "current",
		"contained": []any{l.Patient.contained()},
		"type":      map[string]any{"text": l.Title}, "subject": map[string]any{"reference": "#patient"},
		"date": l.Date.UTC().Format(time.RFC3339), "description": l.Title,
		"author":  []any{map[string]any{"display": l.From}},
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "title": l.Title, "data": base64.StdEncoding.EncodeToString([]byte(l.Text))}}}}
}

// Send delivers items in one transaction through the service, as the
// caller in ctx (a lab's system).
func Send(ctx context.Context, svc *service.Service, items ...fhir.Resource) error {
	var entries []any
	for _, it := range items {
		entries = append(entries, map[string]any{"resource": map[string]any(it), "request": map[string]any{"method": "POST", "url": it.Type()}})
	}
	_, err := svc.ProcessBundle(ctx, fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{})
	return err
}
