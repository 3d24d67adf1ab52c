package sqlstore_test

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// TestKeyedChainEitherWay: a chain through the patient parameter beside
// a token filter answers alike read by patient key (the keyed rows and the
// rows without a key, through their references) and led by the chain, as
// a store with many rows without a key is read (keyedChainIDs): every
// search is run with the bound at -1, so that the chain always leads,
// and at its default, on a new store, on one where about half the rows
// have no key, and on PostgreSQL.
func TestKeyedChainEitherWay(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata.Dir(t), "synthea-r4", "*.json.gz"))
	var bundles [][]byte
	for _, f := range files {
		if !strings.Contains(f, "Information") && len(bundles) < 6 {
			bundles = append(bundles, testdata.Gunzip(t, f))
		}
	}
	if len(bundles) == 0 {
		t.Skip("no Synthea bundles in the shared data")
	}
	for _, s := range []storetest.Named{{Name: "sqlite", Open: storetest.OpenSQLite}, {Name: "sqlite-older", Open: storetest.OpenOlderSQLite}, {Name: "postgres", Open: storetest.OpenPostgres}} {
		t.Run(s.Name, func(t *testing.T) {
			st := s.Open(t)
			ctx := context.Background()
			svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
			for _, data := range bundles {
				b, err := fhir.Unmarshal(data)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := svc.ProcessBundle(ctx, b, service.BundleOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			patients, err := st.Current(ctx, "Patient", "", 10)
			if err != nil || len(patients) == 0 {
				t.Fatalf("no patients: %v", err)
			}
			checked := 0
			for _, p := range patients {
				res, err := fhir.Unmarshal(p.Body)
				if err != nil {
					t.Fatal(err)
				}
				names, _ := res["name"].([]any)
				family, _ := names[0].(map[string]any)["family"].(string)
				for _, query := range []url.Values{
					{"patient.family": {family}, "category": {"http://terminology.hl7.org/CodeSystem/observation-category|laboratory"}},
					{"subject:Patient.family": {family}, "category": {"http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"}, "_sort": {"-date"}},
					{"patient.family": {family}, "code": {"http://loinc.org|8302-2"}, "status": {"final"}},
					{"subject:Patient.family": {family}, "code": {"http://loinc.org|29463-7"}, "_count": {"2"}},
					// Negated: on PostgreSQL the patients are an array
					// (Dialect.SeekByArray), the NOT outside it.
					{"patient.gender:not": {"female"}, "patient.family": {family}, "code": {"http://loinc.org|8302-2"}},
					{"patient.family:missing": {"true"}, "code": {"http://loinc.org|8302-2"}},
				} {
					keyed := storetest.SearchIDs(t, st, "Observation", query)
					restore := sqlstore.SetKeyedChainRows(-1)
					led := storetest.SearchIDs(t, st, "Observation", query)
					restore()
					if !slices.Equal(keyed, led) {
						t.Errorf("Observation?%s: %d ids read by key, %d led by the chain", query.Encode(), len(keyed), len(led))
					}
					if len(led) > 0 {
						checked++
					}
				}
			}
			if checked == 0 {
				t.Fatal("no search matched: nothing was compared")
			}
		})
	}
}
