// Command ukcorebench measures what UK Core validation costs: each UK Core
// Patient is validated as R4 structure alone (the base validation) and
// with its UK Core profile, extension definitions and the R4 and UK Core
// invariants, in process (validation does not touch the store, so the
// result holds for SQLite and PostgreSQL alike).
//
//	go run ./bench/ukcorebench
//	go run ./bench/ukcorebench -n 5000 -rounds 9 -max-ratio 10
//
// The Patients are a built-in one and, when the shared data is present
// (../shared/data or GPCLOUD_SHARED_DATA), every UKCore-Patient XML
// example. Target (issue 14): profile and invariants < 10x the base.
// The command exits 1 when a ratio reaches -max-ratio.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/fhir/validate"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

const profile = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"

// builtIn is a UK Core Patient as gpcloud writes one: NHS number with its
// verification status, ethnic category, name, address, telecom, GP.
const builtIn = `{"resourceType":"Patient","meta":{"profile":["` + profile + `"]},
 "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
   "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A"}]}}],
 "identifier":[{"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
   "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"01"}]}}],
   "system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
 "name":[{"use":"official","family":"Smith","given":["Jane","Ann"],"prefix":["Mrs"]}],
 "telecom":[{"system":"phone","value":"01632 960587","use":"home"}],
 "gender":"female","birthDate":"1980-02-29",
 "address":[{"use":"home","line":["1 High Street"],"city":"Leeds","postalCode":"LS1 1AA"}],
 "generalPractitioner":[{"reference":"Organization/Y12345"}]}`

func main() {
	n := flag.Int("n", 2000, "validations per round")
	rounds := flag.Int("rounds", 5, "rounds per measurement; the fastest counts")
	maxRatio := flag.Float64("max-ratio", 10, "fail when profile+invariants cost this many times the base or more")
	flag.Parse()
	type input struct {
		name string
		res  fhir.Resource
	}
	res, err := fhir.Unmarshal([]byte(builtIn))
	if err != nil {
		fail(err)
	}
	inputs := []input{{"built-in UK Core Patient", res}}
	if dir, ok := testdata.Find(); ok {
		files, _ := filepath.Glob(filepath.Join(dir, "ukcore-examples", "UKCore-Patient-*.xml"))
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				fail(err)
			}
			r, err := fhirxml.Decode(data)
			if err != nil {
				fail(fmt.Errorf("%s: %w", f, err))
			}
			inputs = append(inputs, input{strings.TrimSuffix(filepath.Base(f), ".xml"), r})
		}
	} else {
		fmt.Println("shared data not found: the UK Core Patient examples are left out")
	}
	full := validate.Options{Profiles: []string{profile}}
	fmt.Printf("%-42s %12s %14s %7s %s\n", "Patient", "base ns/op", "UK Core ns/op", "ratio", "issues")
	worst := 0.0
	for _, in := range inputs {
		issues := validate.ResourceWith(in.res, full)
		// The best of several interleaved rounds: the machine is shared,
		// and a round slowed by a neighbour says nothing about validation.
		base, uk := int64(1<<62), int64(1<<62)
		for range *rounds {
			base = min(base, measure(in.res, validate.Options{BaseOnly: true}, *n))
			uk = min(uk, measure(in.res, full, *n))
		}
		ratio := float64(uk) / float64(base)
		worst = max(worst, ratio)
		fmt.Printf("%-42s %12d %14d %6.1fx %d\n", in.name, base, uk, ratio, len(issues))
	}
	fmt.Printf("worst ratio %.1fx (target < %.0fx)\n", worst, *maxRatio)
	if worst >= *maxRatio {
		os.Exit(1)
	}
}

// measure returns the mean nanoseconds of one validation, after a warm-up
// that builds the definitions' caches.
func measure(res fhir.Resource, opts validate.Options, n int) int64 {
	for range 100 {
		validate.ResourceWith(res, opts)
	}
	start := time.Now()
	for range n {
		validate.ResourceWith(res, opts)
	}
	return time.Since(start).Nanoseconds() / int64(n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ukcorebench:", err)
	os.Exit(1)
}
