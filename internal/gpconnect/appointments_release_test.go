package gpconnect

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// releaseExt is a Slot's GP Connect release to organisations and types.
func releaseExt(orgs, types []string) map[string]any {
	var parts []any
	for _, o := range orgs {
		parts = append(parts, map[string]any{"url": "organization", "valueIdentifier": map[string]any{"system": clinical.ODSOrganizationSystem, "value": o}})
	}
	for _, t := range types {
		parts = append(parts, map[string]any{"url": "organizationType", "valueCoding": map[string]any{"system": clinical.GPConnectOrganisationTypeSystem, "code": t}})
	}
	return map[string]any{"url": clinical.SlotGPConnectReleaseURL, "extension": parts}
}

// seedReleased adds GP Connect slots released to the consumer (RYA), to
// another organisation, to urgent care, and to RYA as a GP practice,
// after the fixture's slots.
func (f *fixture) seedReleased() {
	start := f.now.Add(48 * time.Hour).UTC().Truncate(time.Hour).Add(time.Hour)
	gpc := map[string]any{"url": clinical.SlotBookableByURL, "valueCode": clinical.BookedByGPConnect}
	for i, s := range []struct {
		name        string
		orgs, types []string
	}{
		{"rya", []string{consumerODS}, nil},
		{"other", []string{"B82002"}, nil},
		{"uc", nil, []string{"urgent-care"}},
		{"rya-gp", []string{consumerODS, "A81001"}, []string{"gp-practice"}},
	} {
		at := start.Add(time.Duration(i) * 10 * time.Minute)
		f.put(fhir.Resource{"resourceType": "Slot", "id": "slot-" + s.name, "status": "free", "schedule": ref("Schedule/sch1"),
			"start": at.Format(time.RFC3339), "end": at.Add(10 * time.Minute).Format(time.RFC3339),
			"extension": []any{gpc, releaseExt(s.orgs, s.types)}})
		f.slots[s.name] = "slot-" + s.name
	}
}

func filters(fs ...string) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("&searchFilter=" + url.QueryEscape(f))
	}
	return b.String()
}

// Slot availability management over real HTTP: what each searchFilter
// combination finds (the specification's table), the filters refused as
// INVALID_PARAMETER, and bookings re-checked by the same rule.
func TestSlotReleaseSearchFilter(t *testing.T) {
	ods := clinical.ODSOrganizationSystem + "|"
	typ := clinical.GPConnectOrganisationTypeSystem + "|"
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			f := newFixture(t, o.Open)
			f.seedReleased()
			for _, c := range []struct {
				name    string
				filters []string
				want    string
			}{
				{"no filter: unrestricted slots only", nil, "gpc,gpc2"},
				{"the consumer's ODS code", []string{ods + consumerODS}, "gpc,gpc2,rya"},
				{"the ODS code in lower case", []string{ods + strings.ToLower(consumerODS)}, "gpc,gpc2,rya"},
				{"urgent care", []string{typ + "urgent-care"}, "gpc,gpc2,uc"},
				{"a GP practice", []string{typ + "gp-practice"}, "gpc,gpc2"},
				{"ODS code and urgent care", []string{typ + "urgent-care", ods + consumerODS}, "gpc,gpc2,rya,uc"},
				{"ODS code and GP practice", []string{ods + consumerODS, typ + "gp-practice"}, "gpc,gpc2,rya,rya-gp"},
				{"a filter the provider does not support is ignored", []string{"https://directoryofservices.nhs.uk/Id/serviceId|124459850", ods + consumerODS}, "gpc,gpc2,rya"},
			} {
				code, b, _ := f.do(f.slotSearch("&_include:recurse=Schedule:actor:Practitioner" + filters(c.filters...)))
				if code != 200 {
					t.Fatalf("%s: %d %v", c.name, code, b)
				}
				var got []string
				for _, s := range entriesOf(b, "Slot") {
					got = append(got, strings.TrimPrefix(s.ID(), "slot-"))
				}
				slices.Sort(got)
				if strings.Join(got, ",") != c.want {
					t.Errorf("%s: slots %v, want %s", c.name, got, c.want)
				}
				if len(got) > 0 && (len(entriesOf(b, "Schedule")) != 1 || len(entriesOf(b, "Practitioner")) != 1) {
					t.Errorf("%s: includes missing", c.name)
				}
			}
			for _, bad := range [][]string{
				{ods + "B82002"},                    // another organisation's code
				{ods + "RY A"},                      // not an ODS code
				{ods + consumerODS, ods + "A81001"}, // two codes
				{typ + "nhs-111"},                   // not a GPConnect-OrganisationType-1 code
				{typ},                               // no code
				{"urgent-care"},                     // no system
			} {
				if code, b, _ := f.do(f.slotSearch(filters(bad...))); code != 422 || spineCode(b) != InvalidParameter {
					t.Errorf("searchFilter %v: %d %v", bad, code, b)
				}
			}

			// Booking is judged by the same release.
			read := func(name string) fhir.Resource {
				v, err := f.svc.Read(context.Background(), "Slot", f.slots[name])
				if err != nil {
					t.Fatal(err)
				}
				r, _ := fhir.Unmarshal(v.Version.Body)
				return r
			}
			book := func(name, orgType string) (int, fhir.Resource) {
				body := bookingBody("rich", read(name))
				if orgType != "" {
					org := obj(list(body["contained"])[0])
					org["type"] = []any{map[string]any{"coding": []any{map[string]any{"system": clinical.GPConnectOrganisationTypeSystem, "code": orgType}}}}
				}
				r := bookReq
				r.body = body
				code, b, _ := f.do(r)
				return code, b
			}
			refused := func(what string, code int, b fhir.Resource) {
				t.Helper()
				if code != 422 || spineCode(b) != InvalidResource || !strings.Contains(str(obj(list(b["issue"])[0])["diagnostics"]), "not released") {
					t.Errorf("%s: %d %v", what, code, b)
				}
			}
			code, b := book("other", "urgent-care")
			refused("another organisation's slot", code, b)
			code, b = book("uc", "")
			refused("an urgent care slot, no type given", code, b)
			code, b = book("uc", "gp-practice")
			refused("an urgent care slot booked by a GP practice", code, b)
			if code, b := book("uc", "nhs-111"); code != 422 || spineCode(b) != InvalidResource {
				t.Errorf("a type not in GPConnect-OrganisationType-1: %d %v", code, b)
			}
			for _, name := range []string{"other", "uc"} {
				if s := f.slotStatus(f.slots[name]); s != "free" {
					t.Errorf("Slot %s is %s after refused bookings", name, s)
				}
			}
			if code, b := book("uc", "urgent-care"); code != 201 {
				t.Errorf("an urgent care slot booked by urgent care: %d %v", code, b)
			}
			if code, b := book("rya", ""); code != 201 {
				t.Errorf("a slot released to the consumer's organisation: %d %v", code, b)
			}
			code, b = book("rya-gp", "urgent-care")
			refused("RYA as urgent care, a slot for RYA as a GP practice", code, b)
		})
	}
}
