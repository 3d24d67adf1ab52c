package service_test

import (
	"context"
	"fmt"
	"math/rand"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search/oracle"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// differentialBundles is how many Synthea patient bundles the differential
// test loads (about 300 resources each).
const differentialBundles = 25

// TestDifferentialSearch loads Synthea patients through the service (so
// references are resolved as in production), reads every stored resource
// back, and checks that the indexed engine returns exactly the ids the
// independent brute-force oracle computes, for well over 100 queries
// generated from the data. It runs on SQLite, and on PostgreSQL when
// GPCLOUD_TEST_POSTGRES is set.
func TestDifferentialSearch(t *testing.T) {
	bundles := syntheaBundles(t, differentialBundles)
	stores := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		// As an earlier version left it: narrowed reference rows kept
		// and written (search.Param.StoredTarget), never read.
		"sqlite-older": func(t *testing.T) store.Store { return storetest.OpenOlderSQLite(t) },
		// Skips with a reason when GPCLOUD_TEST_POSTGRES is not set.
		"postgres": func(t *testing.T) store.Store { return storetest.OpenPostgres(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
			ctx := context.Background()
			// A copy for each store: a load resolves the bundle's
			// references in place, and the next store's would then name
			// this one's patients.
			for _, b := range bundles {
				if _, err := svc.ProcessBundle(ctx, fhir.DeepCopy(b).(fhir.Resource), service.BundleOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			resources := readAll(t, st)
			queries := generateQueries(resources)
			if len(queries) < 100 {
				t.Fatalf("only %d queries generated", len(queries))
			}
			nonEmpty := 0
			for _, q := range queries {
				want, err := oracle.Match(resources, q.typ, q.params)
				if err != nil {
					t.Fatal(err)
				}
				t0 := time.Now()
				got := engineIDs(t, st, q.typ, q.params)
				if d := time.Since(t0); d > 200*time.Millisecond {
					t.Logf("slow (%v): %s?%s", d, q.typ, q.params.Encode())
				}
				if len(got) != len(want) || len(got) > 0 && !reflect.DeepEqual(got, want) {
					t.Errorf("%s?%s: engine %d ids, oracle %d; only engine %v, only oracle %v",
						q.typ, q.params.Encode(), len(got), len(want), minus(got, want), minus(want, got))
				}
				if len(want) > 0 {
					nonEmpty++
				}
			}
			t.Logf("%d queries over %d resources agree with the oracle (%d with matches)", len(queries), len(resources), nonEmpty)
			checkComboComposite(t, st, resources)
			checkHasByCode(t, st, resources)
			checkChains(t, st, resources)
		})
	}
}

// checkComboComposite compares combo-code-value-quantity, a composite
// stored as code-value-quantity's and component-code-value-quantity's
// rows, with a brute-force reading (the oracle has no composites): an
// Observation matches when it, or one of its components, has the code
// and a value at least the one asked for.
func checkComboComposite(t *testing.T, st store.Store, resources []map[string]any) {
	elements := func(o map[string]any) []any {
		out := []any{o}
		if cs, ok := o["component"].([]any); ok {
			out = append(out, cs...)
		}
		return out
	}
	value := func(el any) (float64, bool) {
		f, err := strconv.ParseFloat(nested(el, "valueQuantity", "value"), 64)
		return f, err == nil
	}
	checked := 0
	for _, o := range resources {
		if o["resourceType"] != "Observation" || o["component"] == nil || checked == 5 {
			continue
		}
		checked++
		comp := elements(o)[1]
		code, v := nested(comp, "code", "coding", "code"), nested(comp, "valueQuantity", "value")
		threshold, ok := value(comp)
		if code == "" || !ok {
			continue
		}
		want := []string{}
		for _, r := range resources {
			if r["resourceType"] != "Observation" {
				continue
			}
			for _, el := range elements(r) {
				f, ok := value(el)
				if ok && f >= threshold && slices.Contains(codingsOf(el), code) {
					want = append(want, r["id"].(string))
					break
				}
			}
		}
		sort.Strings(want)
		got := engineIDs(t, st, "Observation", url.Values{"combo-code-value-quantity": {code + "$ge" + v}})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("combo-code-value-quantity=%s$ge%s: engine %d ids, brute force %d; only engine %v, only brute force %v",
				code, v, len(got), len(want), minus(got, want), minus(want, got))
		}
	}
	if checked == 0 {
		t.Error("no Observation with components to check combo-code-value-quantity on")
	}
}

// checkHasByCode compares Patient?_has:T:patient:code=X, which reads the
// patients from the code's rows (their patient key) or, for rows without
// one, from the references, with a brute-force reading: the Patients
// named by the subject of the resources of type T with the code. The
// oracle has no _has.
func checkHasByCode(t *testing.T, st store.Store, resources []map[string]any) {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	// Only Patients the store holds (a reference may name one elsewhere).
	patients := map[string]bool{}
	for _, r := range resources {
		if r["resourceType"] == "Patient" {
			patients[str(r["id"])] = true
		}
	}
	checked, nonEmpty := 0, 0
	for _, typ := range []string{"Observation", "Condition", "Procedure"} {
		var ofType []map[string]any
		for _, r := range resources {
			if r["resourceType"] == typ {
				ofType = append(ofType, r)
			}
		}
		for i := 0; i < 6 && len(ofType) > 0; i++ {
			r := ofType[rng.Intn(len(ofType))]
			system, code := nested(r, "code", "coding", "system"), nested(r, "code", "coding", "code")
			wantSet := map[string]bool{}
			for _, o := range ofType {
				if subject := str(nested2(o, "subject", "reference")); strings.HasPrefix(subject, "Patient/") && patients[lastSegment(subject)] && slices.Contains(codingsOf(o), code) {
					wantSet[lastSegment(subject)] = true
				}
			}
			want := []string{}
			for id := range wantSet {
				want = append(want, id)
			}
			sort.Strings(want)
			for _, value := range []string{code, system + "|" + code} {
				got := engineIDs(t, st, "Patient", url.Values{"_has:" + typ + ":patient:code": {value}})
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Patient?_has:%s:patient:code=%s: engine %d ids, brute force %d; only engine %v, only brute force %v",
						typ, value, len(got), len(want), minus(got, want), minus(want, got))
				}
				checked++
				if len(want) > 0 {
					nonEmpty++
				}
			}
		}
	}
	if nonEmpty == 0 {
		t.Errorf("none of %d _has queries matched a patient: nothing was checked", checked)
	}
}

// checkChains compares Observation?patient.family:exact=F&code=X (and
// subject:Patient, sorted, with a third filter) with a brute-force
// reading of the subjects and the codes, on stores with patient keys and
// without (the oracle has no chains).
func checkChains(t *testing.T, st store.Store, resources []map[string]any) {
	t.Helper()
	family := map[string]string{}
	var observations []map[string]any
	for _, r := range resources {
		switch r["resourceType"] {
		case "Patient":
			family[str(r["id"])] = nested(r, "name", "family")
		case "Observation":
			observations = append(observations, r)
		}
	}
	rng := rand.New(rand.NewSource(11))
	nonEmpty := 0
	for i := 0; i < 6 && len(observations) > 0; i++ {
		o := observations[rng.Intn(len(observations))]
		fam := family[lastSegment(str(nested2(o, "subject", "reference")))]
		code := nested(o, "code", "coding", "code")
		if fam == "" || code == "" {
			continue
		}
		// With the code's system the chain reads the code's rows by
		// patient key (sqlstore keyedChainIDs); without it the chain
		// leads and the code is probed on its references.
		codeSys := nested(o, "code", "coding", "system") + "|" + code
		matching := func(token string) []string {
			out := []string{}
			for _, r := range observations {
				subject := str(nested2(r, "subject", "reference"))
				if strings.HasPrefix(subject, "Patient/") && family[lastSegment(subject)] == fam && slices.Contains(codingsOf(r), token) {
					out = append(out, str(r["id"]))
				}
			}
			sort.Strings(out)
			return out
		}
		want, wantSys := matching(code), matching(codeSys)
		for _, c := range []struct {
			params url.Values
			want   []string
		}{
			{url.Values{"patient.family:exact": {fam}, "code": {codeSys}}, wantSys},
			{url.Values{"subject:Patient.family:exact": {fam}, "code": {codeSys}}, wantSys},
			{url.Values{"patient.family:exact": {fam}, "code": {code}}, want},
			// Sorted: the matches are written as a list (where, not
			// the first page's index-only path).
			{url.Values{"patient.family:exact": {fam}, "code": {codeSys}, "_sort": {"-date"}}, wantSys},
		} {
			got := engineIDs(t, st, "Observation", c.params)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Observation?%s: engine %d ids, brute force %d; only engine %v, only brute force %v",
					c.params.Encode(), len(got), len(c.want), minus(got, c.want), minus(c.want, got))
			}
		}
		// With a third filter, probed on both halves.
		status := str(o["status"])
		got := engineIDs(t, st, "Observation", url.Values{"patient.family:exact": {fam}, "code": {codeSys}, "status": {status}})
		var wantStatus []string
		for _, id := range wantSys {
			for _, r := range observations {
				if str(r["id"]) == id && str(r["status"]) == status {
					wantStatus = append(wantStatus, id)
				}
			}
		}
		if len(got) != len(wantStatus) || len(got) > 0 && !reflect.DeepEqual(got, wantStatus) {
			t.Errorf("Observation?patient.family:exact=%s&code=%s&status=%s: engine %v, brute force %v", fam, codeSys, status, got, wantStatus)
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		t.Error("no chained query matched: nothing was checked")
	}
}

// codingsOf is the system|code of each of an element's code's codings, and
// its code alone (a brute-force match of a token with or without its
// system).
func codingsOf(el any) []string {
	var out []string
	m, _ := el.(map[string]any)
	concept, _ := m["code"].(map[string]any)
	codings, _ := concept["coding"].([]any)
	for _, cd := range codings {
		if c, ok := cd.(map[string]any); ok {
			if code, ok := c["code"].(string); ok {
				system, _ := c["system"].(string)
				out = append(out, system+"|"+code, code)
			}
		}
	}
	return out
}

func syntheaBundles(t *testing.T, n int) []fhir.Resource {
	dir := filepath.Join(testdata.Dir(t), "synthea-r4")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if len(files) == 0 {
		t.Skip("no Synthea bundles in the shared data")
	}
	sort.Strings(files)
	var first, rest []fhir.Resource
	for _, f := range files {
		data := testdata.Gunzip(t, f)
		if !strings.Contains(f, "Information") && len(rest) >= n {
			continue
		}
		b, err := fhir.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f, "Information") {
			first = append(first, b)
		} else {
			rest = append(rest, b)
		}
	}
	return append(first, rest...)
}

var differentialTypes = []string{"Patient", "Observation", "Condition", "Encounter", "MedicationRequest", "Procedure", "Immunization"}

func readAll(t *testing.T, st store.Store) []map[string]any {
	var out []map[string]any
	for _, typ := range differentialTypes {
		after := ""
		for {
			batch, err := st.Current(context.Background(), typ, after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			for _, v := range batch {
				r, err := fhir.Unmarshal(v.Body)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
			after = batch[len(batch)-1].ID
		}
	}
	return out
}

// engineIDs runs a search through every page and returns the ids, sorted.
func engineIDs(t *testing.T, st store.Store, typ string, params url.Values) []string {
	return storetest.SearchIDs(t, st, typ, params)
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
		if len(out) == 5 {
			break
		}
	}
	return out
}

type diffQuery struct {
	typ    string
	params url.Values
}

// generateQueries draws query values from the data with a fixed seed.
func generateQueries(resources []map[string]any) []diffQuery {
	rng := rand.New(rand.NewSource(42))
	byType := map[string][]map[string]any{}
	for _, r := range resources {
		rt := r["resourceType"].(string)
		byType[rt] = append(byType[rt], r)
	}
	pick := func(typ string) map[string]any {
		list := byType[typ]
		return list[rng.Intn(len(list))]
	}
	var out []diffQuery
	add := func(typ string, kv ...string) {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				return // the drawn resource lacks the value
			}
			v.Add(kv[i], kv[i+1])
		}
		out = append(out, diffQuery{typ, v})
	}
	prefixes := []string{"", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"}
	for i := 0; i < 8; i++ {
		p := pick("Patient")
		family := nested(p, "name", "family")
		add("Patient", "name", prefix(family, 1+rng.Intn(4)))
		add("Patient", "family:exact", family)
		add("Patient", "name:contains", prefix(strings.ToLower(family), 3))
		add("Patient", "given", nested(p, "name", "given"))
		add("Patient", "identifier", nested(p, "identifier", "system")+"|"+nested(p, "identifier", "value"))
		add("Patient", "birthdate", prefixes[rng.Intn(len(prefixes))]+datePrefix(str(p["birthDate"]), rng))
		add("Patient", "address-city", nested(p, "address", "city"))
		add("Patient", "gender", []string{"male", "female"}[i%2], "birthdate", "ge"+datePrefix(str(p["birthDate"]), rng))
	}
	add("Patient", "gender:not", "male")
	add("Patient", "deceased", "true")
	add("Patient", "deceased", "false", "gender", "female")
	add("Patient", "address-postalcode:missing", "true")
	add("Patient", "address-postalcode:missing", "false")
	for i := 0; i < 12; i++ {
		o := pick("Observation")
		code := nested(o, "code", "coding", "system") + "|" + nested(o, "code", "coding", "code")
		subject := str(nested2(o, "subject", "reference"))
		add("Observation", "code", code)
		add("Observation", "code", nested(o, "code", "coding", "code"), "patient", lastSegment(subject))
		add("Observation", "subject", subject, "category", nested(o, "category", "coding", "code"))
		add("Observation", "date", prefixes[rng.Intn(len(prefixes))]+datePrefix(str(o["effectiveDateTime"]), rng), "code", code)
		if v := nested(o, "valueQuantity", "value"); v != "" {
			add("Observation", "value-quantity", prefixes[rng.Intn(7)]+v, "code", code)
			add("Observation", "value-quantity", v+"|"+nested(o, "valueQuantity", "system")+"|"+nested(o, "valueQuantity", "code"))
			// Read as code-value-quantity (search.Paired): without a
			// system, beside a patient, and with values' products.
			add("Observation", "code", nested(o, "code", "coding", "code"), "value-quantity", prefixes[rng.Intn(7)]+v)
			add("Observation", "value-quantity", prefixes[rng.Intn(7)]+v, "code", code, "patient", lastSegment(subject))
			add("Observation", "code", code+",http://loinc.org|8302-2", "value-quantity", "lt"+v+",gt"+v)
			add("Observation", "code", code, "value-quantity", "ge"+v+"|"+nested(o, "valueQuantity", "system")+"|"+nested(o, "valueQuantity", "code"))
		}
		if c := nested(o, "valueCodeableConcept", "coding", "code"); c != "" {
			add("Observation", "code", code, "value-concept", nested(o, "valueCodeableConcept", "coding", "system")+"|"+c)
		}
		add("Observation", "encounter", str(nested2(o, "encounter", "reference")))
	}
	// The combo parameters, stored as their parts' rows (search.Param.StoredAs):
	// codes and values at the top level and in components.
	var withComponents []map[string]any
	for _, o := range byType["Observation"] {
		if _, ok := o["component"]; ok {
			withComponents = append(withComponents, o)
		}
	}
	for i := 0; i < 6; i++ {
		o := pick("Observation")
		add("Observation", "combo-code", nested(o, "code", "coding", "system")+"|"+nested(o, "code", "coding", "code"))
		if v := nested(o, "valueQuantity", "value"); v != "" {
			add("Observation", "combo-value-quantity", prefixes[rng.Intn(7)]+v, "combo-code", nested(o, "code", "coding", "code"))
		}
		if len(withComponents) > 0 {
			c := withComponents[rng.Intn(len(withComponents))]
			add("Observation", "combo-code", nested(c, "component", "code", "coding", "code"))
			add("Observation", "combo-value-quantity", prefixes[rng.Intn(7)]+nested(c, "component", "valueQuantity", "value"))
			add("Observation", "combo-code", nested(c, "component", "code", "coding", "code"), "_sort", "-combo-code")
			// Not one composite's rows: a component's code and value.
			add("Observation", "combo-code", nested(c, "component", "code", "coding", "code"), "combo-value-quantity", "ge"+nested(c, "component", "valueQuantity", "value"))
		}
	}
	add("Observation", "combo-value-quantity:missing", "true")
	add("Observation", "combo-value-concept:missing", "false")
	add("Observation", "status", "final,amended")
	add("Observation", "value-quantity:missing", "true", "status", "final")
	for i := 0; i < 6; i++ {
		c := pick("Condition")
		add("Condition", "code", nested(c, "code", "coding", "system")+"|"+nested(c, "code", "coding", "code"))
		add("Condition", "patient", lastSegment(str(nested2(c, "subject", "reference"))), "clinical-status", nested(c, "clinicalStatus", "coding", "code"))
		add("Condition", "onset-date", prefixes[rng.Intn(len(prefixes))]+datePrefix(str(c["onsetDateTime"]), rng))
		add("Condition", "clinical-status:not", "active", "code", nested(c, "code", "coding", "code"))
	}
	for i := 0; i < 6; i++ {
		e := pick("Encounter")
		add("Encounter", "date", prefixes[rng.Intn(len(prefixes))]+datePrefix(nested(e, "period", "start"), rng))
		add("Encounter", "class", nested(e, "class", "code"), "patient", lastSegment(str(nested2(e, "subject", "reference"))))
		add("Encounter", "type", nested(e, "type", "coding", "system")+"|"+nested(e, "type", "coding", "code"))
		add("Encounter", "subject:Patient", lastSegment(str(nested2(e, "subject", "reference"))), "status", str(e["status"]))
	}
	for i := 0; i < 5; i++ {
		m := pick("MedicationRequest")
		add("MedicationRequest", "patient", lastSegment(str(nested2(m, "subject", "reference"))), "status", str(m["status"]))
		add("MedicationRequest", "code", nested(m, "medicationCodeableConcept", "coding", "code"), "intent", str(m["intent"]))
		add("MedicationRequest", "authoredon", prefixes[rng.Intn(len(prefixes))]+datePrefix(str(m["authoredOn"]), rng))
	}
	for i := 0; i < 4; i++ {
		p := pick("Procedure")
		add("Procedure", "code", nested(p, "code", "coding", "code"), "patient", lastSegment(str(nested2(p, "subject", "reference"))))
		add("Procedure", "date", prefixes[rng.Intn(len(prefixes))]+datePrefix(nested(p, "performedPeriod", "start"), rng))
		im := pick("Immunization")
		add("Immunization", "vaccine-code", nested(im, "vaccineCode", "coding", "system")+"|"+nested(im, "vaccineCode", "coding", "code"))
		add("Immunization", "patient", str(nested2(im, "patient", "reference")), "date", prefixes[rng.Intn(len(prefixes))]+datePrefix(str(im["occurrenceDateTime"]), rng))
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// nested follows keys, taking the first element of arrays, and renders
// the leaf (strings as they are, numbers in their JSON form).
func nested(v any, keys ...string) string {
	leaf := nested2(v, keys...)
	switch x := leaf.(type) {
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return ""
}

func nested2(v any, keys ...string) any {
	for _, k := range keys {
		if a, ok := v.([]any); ok {
			if len(a) == 0 {
				return nil
			}
			v = a[0]
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	if a, ok := v.([]any); ok && len(a) > 0 {
		return a[0]
	}
	return v
}

func prefix(s string, n int) string {
	r := []rune(s)
	if len(r) < n {
		return s
	}
	return string(r[:n])
}

func lastSegment(ref string) string {
	if ref == "" {
		return ""
	}
	return ref[strings.LastIndexByte(ref, '/')+1:]
}

// datePrefix cuts a date to a random precision: year, month, day or the
// whole value.
func datePrefix(s string, rng *rand.Rand) string {
	if s == "" {
		return ""
	}
	cuts := []int{4, 7, 10, len(s)}
	n := cuts[rng.Intn(len(cuts))]
	if n > len(s) {
		n = len(s)
	}
	return s[:n]
}
