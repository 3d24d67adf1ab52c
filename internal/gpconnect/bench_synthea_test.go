package gpconnect

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// syntheaLargest is the largest Synthea patient of the shared data (1,111
// entries: 351 Observations, 30 DiagnosticReports, 127 Encounters, 122
// MedicationRequests, 20 Conditions).
const syntheaLargest = "fe0562b5-f517-4951-8366-32fdab088930.json.gz"

// nhsSynthea is the NHS number the benchmark gives the Synthea patient.
const nhsSynthea = "9000000009"

// The measure for the largest Synthea patient:
// $gpc.getstructuredrecord with every parameter, over HTTP with every
// request check, JSON and XML (p50, p95; target p95 < 200 ms). Skipped
// without the shared data. Run:
//
//	go test ./internal/gpconnect -run '^$' -bench StructuredRecordSynthea -benchtime 50x
func BenchmarkStructuredRecordSynthea(b *testing.B) {
	f := newFixture(b, storetest.OpenSQLite)
	loadSynthea(b, f, filepath.Join(testdata.Dir(b), "synthea-r4"))
	r := structuredReq(nhsSynthea, param("includeAllergies", map[string]any{"name": "includeResolvedAllergies", "valueBoolean": true}),
		param("includeMedication"), param("includeProblems"), param("includeImmunisations"), param("includeConsultations"),
		param("includeInvestigations"), param("includeReferrals"), param("includeDiaryEntries"), param("includeUncategorisedData"))
	code, res, _ := f.do(r)
	if code != 200 || len(listItems(res, "887191000000108")) == 0 || len(listItems(res, "933361000000108")) == 0 {
		b.Fatalf("%d: the record is not there (investigations %v)", code, listItems(res, "887191000000108"))
	}
	b.Logf("%d entries in the structured record", len(list(res["entry"])))
	b.Run("json", func(b *testing.B) { measure(b, f, r) })
	b.Run("xml", func(b *testing.B) {
		measureFunc(b, func() int {
			code, _, _ := f.doXML(r, "application/fhir+xml")
			return code
		})
	})
}

// loadSynthea loads the shared Organizations and Practitioners and the
// largest patient, then makes the patient one GP Connect shares: an NHS
// number verified by PDS, alive (Synthea's largest record ends in death,
// and a deceased patient is not shared), registered at the practice.
func loadSynthea(b testing.TB, f *fixture, dir string) {
	b.Helper()
	ctx := context.Background()
	var patientID string
	for _, name := range []string{"hospitalInformation.json.gz", "practitionerInformation.json.gz", syntheaLargest} {
		bundle, err := fhir.Unmarshal(testdata.Gunzip(b, filepath.Join(dir, name)))
		if err != nil {
			b.Fatal(err)
		}
		out, err := f.svc.ProcessBundle(ctx, bundle, service.BundleOptions{})
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		for _, e := range list(out.Resource["entry"]) {
			if loc := str(obj(obj(e)["response"])["location"]); strings.HasPrefix(loc, "Patient/") {
				patientID = strings.Split(loc, "/")[1]
			}
		}
	}
	v, err := f.svc.Read(ctx, "Patient", patientID)
	if err != nil {
		b.Fatal(err)
	}
	p, err := fhir.Unmarshal(v.Version.Body)
	if err != nil {
		b.Fatal(err)
	}
	delete(p, "deceasedDateTime")
	delete(p, "deceasedBoolean")
	p["active"] = true
	p["identifier"] = append(list(p["identifier"]), map[string]any{"system": NHSNumberSystem, "value": nhsSynthea,
		"extension": []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": coded(clinical.NHSVerificationSystem, clinical.NHSVerified)}}})
	p["managingOrganization"] = ref("Organization/org1")
	f.put(p)
	f.put(fhir.Resource{"resourceType": "EpisodeOfCare", "id": "reg-synthea", "status": "active",
		"type": []any{coded(clinical.RegistrationTypeSystem, "R")}, "patient": ref("Patient/" + patientID),
		"managingOrganization": ref("Organization/org1"), "period": map[string]any{"start": "2020-01-01"}})
}
