package gpconnect

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// The measures: $gpc.getstructuredrecord with every parameter
// for a large record (p95 < 200 ms) and a two-week free-slot search
// (p95 < 100 ms), over HTTP with every request check. Run:
//
//	go test ./internal/gpconnect -run '^$' -bench . -benchtime 50x
func BenchmarkStructuredRecord(b *testing.B) {
	f := newFixture(b, storetest.OpenSQLite)
	seedLargeRecord(f)
	r := structuredReq(nhsRich, param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": true}),
		param("includeMedication"), param("includeProblems"), param("includeImmunisations"), param("includeConsultations"),
		param("includeInvestigations"), param("includeReferrals"), param("includeDiaryEntries"), param("includeUncategorisedData"))
	measure(b, f, r)
}

// Access Record HTML of the same record: the Summary (four readers) and
// Medications (the largest section), JSON.
func BenchmarkCareRecord(b *testing.B) {
	f := newFixture(b, storetest.OpenSQLite)
	seedLargeRecord(f)
	for _, section := range []string{"SUM", "MED", "PRB"} {
		b.Run(section, func(b *testing.B) { measure(b, f, careReq(nhsRich, section)) })
	}
}

// seedLargeRecord gives the rich patient 450 entries: 50 repeat
// authorisations with two issues each, 150 ended problems and 150
// immunisations.
func seedLargeRecord(f *fixture) {
	subj := ref("Patient/rich")
	f.put(fhir.Resource{"resourceType": "PractitionerRole", "id": "role-gp1", "practitioner": ref("Practitioner/gp1")})
	for i := 0; i < 150; i++ {
		// 50 repeat authorisations with two issues each, prescribed by a
		// PractitionerRole (as the workspace records them).
		med := fhir.Resource{"resourceType": "MedicationRequest", "id": fmt.Sprintf("bm-med-%d", i), "status": "completed", "intent": "plan", "subject": subj,
			"courseOfTherapyType":       coded(clinical.CourseSystem, "continuous"),
			"medicationCodeableConcept": map[string]any{"text": "Medicine " + fmt.Sprint(i-i%3)}, "authoredOn": "2020-01-01",
			"requester": ref("PractitionerRole/role-gp1"), "dosageInstruction": []any{map[string]any{"text": "one daily"}}}
		if i%3 != 0 {
			med["intent"], med["basedOn"] = "order", []any{ref(fmt.Sprintf("MedicationRequest/bm-med-%d", i-i%3))}
		}
		f.put(med)
		f.put(fhir.Resource{"resourceType": "Condition", "id": fmt.Sprintf("bm-prob-%d", i), "subject": subj,
			"category":       []any{coded("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")},
			"clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
			"code":           map[string]any{"text": "Problem " + fmt.Sprint(i)}, "abatementDateTime": "2019-01-01"})
		f.put(fhir.Resource{"resourceType": "Immunization", "id": fmt.Sprintf("bm-imm-%d", i), "status": "completed", "patient": subj,
			"vaccineCode": map[string]any{"text": "Vaccine"}, "occurrenceDateTime": "2019-01-01"})
	}
}

func BenchmarkFreeSlotSearch(b *testing.B) {
	f := newFixture(b, storetest.OpenSQLite)
	seedTwoWeeksOfSlots(f, nil)
	measure(b, f, twoWeekSlotSearch(f, ""))
}

// The same two weeks with the consumer's searchFilter (its ODS code and
// urgent care), a third of the slots released to it, a third to urgent
// care, a third to another organisation: every slot is judged by the
// release rule. Run:
//
//	go test ./internal/gpconnect -run '^$' -bench FreeSlotSearchFilter -benchtime 50x
func BenchmarkFreeSlotSearchFilter(b *testing.B) {
	f := newFixture(b, storetest.OpenSQLite)
	seedTwoWeeksOfSlots(f, func(i int) map[string]any {
		switch i % 3 {
		case 0:
			return releaseExt([]string{consumerODS}, nil)
		case 1:
			return releaseExt(nil, []string{"urgent-care"})
		}
		return releaseExt([]string{"B82002"}, nil)
	})
	measure(b, f, twoWeekSlotSearch(f, filters(clinical.ODSOrganizationSystem+"|"+consumerODS, clinical.GPConnectOrganisationTypeSystem+"|urgent-care")))
}

// seedTwoWeeksOfSlots writes 14 days of 60 GP Connect slots, each with
// the release release gives it (nil: none).
func seedTwoWeeksOfSlots(f *fixture, release func(i int) map[string]any) {
	gpc := map[string]any{"url": clinical.SlotBookableByURL, "valueCode": clinical.BookedByGPConnect}
	day0 := f.now.Add(24 * time.Hour).UTC().Truncate(24 * time.Hour)
	for d := 0; d < 14; d++ {
		for s := 0; s < 60; s++ { // a clinician's day of 10-minute slots, two schedules' worth
			start := day0.AddDate(0, 0, d).Add(8*time.Hour + time.Duration(s)*10*time.Minute)
			exts := []any{gpc}
			if release != nil {
				exts = append(exts, release(s))
			}
			f.put(fhir.Resource{"resourceType": "Slot", "id": fmt.Sprintf("bm-%d-%d", d, s), "status": "free", "schedule": ref("Schedule/sch1"),
				"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339), "extension": exts})
		}
	}
}

func twoWeekSlotSearch(f *fixture, extra string) req {
	r := f.slotSearch("")
	r.path = fmt.Sprintf("/fhir/Slot?start=ge%s&end=le%s&status=free&_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner",
		f.now.Format("2006-01-02"), f.now.AddDate(0, 0, 13).Format("2006-01-02")) + extra
	return r
}

func measure(b *testing.B, f *fixture, r req) {
	b.Helper()
	measureFunc(b, func() int {
		code, res, _ := f.do(r)
		if code != 200 {
			b.Fatalf("%d %v", code, res)
		}
		return code
	})
}

// measureFunc times run b.N times and reports the median and the 95th
// percentile.
func measureFunc(b *testing.B, run func() int) {
	b.Helper()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		code := run()
		times = append(times, time.Since(start))
		if code != 200 {
			b.Fatalf("status %d", code)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}
