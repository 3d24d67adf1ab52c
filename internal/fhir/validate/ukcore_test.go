package validate

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// profileFor names the UK Core profile an example exemplifies: the longest
// profile of its type whose name begins the file name
// (UKCore-Observation-VitalSigns-BMI-Example → UKCore-Observation-VitalSigns-BMI),
// else the type's base UK Core profile (UKCore-Patient for the
// Extension-UKCore-* examples, which show an extension on a resource).
func profileFor(name, typ string) string {
	best, bestLen := "", 0
	for _, url := range ukcore.Profiles(typ) {
		p := ukcore.Lookup(url)
		if strings.HasPrefix(name, p.Name+"-") && len(p.Name) > bestLen {
			best, bestLen = url, len(p.Name)
		}
	}
	if best == "" {
		if p := ukcore.Lookup("https://fhir.hl7.org.uk/StructureDefinition/UKCore-" + typ); p != nil {
			best = p.URL
		}
	}
	return best
}

// invalidUKCoreExamples are the UK Core examples that break their own
// profile or R4, with the reason. Every other example must validate
// without an error against the profile it exemplifies.
var invalidUKCoreExamples = map[string]string{
	// The example gives the extension's value twice, as valueCode and as
	// valueCodeableConcept (R4 allows one); the definition allows a
	// CodeableConcept only.
	"Extension-UKCore-ConditionEpisode-Example": "Extension.value[x] is a choice of one type",
	// authorizingPrescription.reference is the bare id of the request
	// ("UKCore-MedicationRequest-Amoxicillin-Example"), not MedicationRequest/id.
	"UKCore-MedicationDispense-Amoxicillin-Example":       "is not of the form Type/id",
	"UKCore-MedicationDispense-CiprofloxacinIV-Example":   "is not of the form Type/id",
	"UKCore-MedicationDispense-CiprofloxacinOral-Example": "is not of the form Type/id",
	// 9912003890: the Modulus 11 check digit of 991200389 is 6, not 0.
	"UKCore-Patient-BabyPatient-Example": "is not a valid NHS number",
}

// TestUKCoreExamples validates every UK Core example, read from its XML
// original, against the profile it exemplifies. The XML is read rather
// than the JSON copy because the JSON was converted by a tool that writes
// decimals as JSON strings (49 files): R4 JSON requires numbers, so those
// copies are wrong and gpcloud is right to refuse them (see
// internal/httpapi's corpus test); the originals are valid.
func TestUKCoreExamples(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "ukcore-examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		t.Skipf("no UK Core examples under %s", dir)
	}
	sort.Strings(files)
	valid, profiled := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := fhirxml.Decode(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		profile := profileFor(name, res.Type())
		var opts Options
		if profile != "" {
			opts.Profiles = []string{profile}
			profiled++
		}
		issues := ResourceWith(res, opts)
		reason, listed := invalidUKCoreExamples[name]
		switch {
		case fhir.HasErrors(issues) && !listed:
			t.Errorf("%s against %s: %s", name, profile, describe(issues))
		case !fhir.HasErrors(issues) && listed:
			t.Errorf("%s is listed as invalid (%s) but validates", name, reason)
		case listed && !strings.Contains(describe(issues), reason):
			t.Errorf("%s is refused for another reason than %q: %s", name, reason, describe(issues))
		case !listed:
			valid++
		}
	}
	t.Logf("%d UK Core examples: %d valid (%d against a UK Core profile), %d listed as invalid", len(files), valid, profiled, len(invalidUKCoreExamples))
}

func describe(issues []fhir.Issue) string {
	var b strings.Builder
	for _, is := range issues {
		if is.Severity != fhir.SeverityError {
			continue
		}
		b.WriteString(is.Diagnostics)
		if len(is.Expression) > 0 {
			b.WriteString(" @ " + is.Expression[0])
		}
		b.WriteString("; ")
	}
	return b.String()
}
