package terminology

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdsynth"
)

func TestProductsSQLite(t *testing.T)   { testProducts(t, storetest.OpenSQLite(t)) }
func TestProductsPostgres(t *testing.T) { testProducts(t, storetest.OpenPostgres(t)) }

// testProducts: the drug typeahead gives generics before brands, with
// each product's own status; Product reads an AMP with its VMP's VTM,
// ingredients and controlled-drug category; a VTM or pack is not a
// product to prescribe.
func testProducts(t *testing.T, st store.Store) {
	s, _ := New(st)
	ctx := context.Background()
	if _, err := LoadDMD(ctx, s.Store(), writeRelease(t, dmdRelease), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.FindProducts(ctx, "panadol", 10)
	if err != nil || len(ps) != 1 || ps[0].Kind != "AMP" {
		t.Fatalf("brand search: %+v %v", ps, err)
	}
	ps, err = s.FindProducts(ctx, "500mg tab", 10)
	if err != nil || len(ps) != 2 || ps[0].Code != "42109611000001109" || ps[1].Code != "3327811000001104" {
		t.Fatalf("generic first: %+v %v", ps, err)
	}
	if ps, _ := s.FindProducts(ctx, "paracetamol 250mg", 10); len(ps) != 0 {
		t.Errorf("a strength no product has: %+v", ps)
	}
	if ps, _ := s.FindProducts(ctx, "5 para", 10); len(ps) != 1 || ps[0].Code != "42109611000001109" {
		t.Errorf("a strength typed first: %+v", ps)
	}
	if ps[0].PrescribingStatus != "Valid as a prescribable product" {
		t.Errorf("status not read with the match: %+v", ps[0])
	}
	ps, _ = s.FindProducts(ctx, "morphine", 10)
	if len(ps) != 1 || ps[0].ControlledDrug != "Schedule 2 (CD)" || ps[0].NonAvailability != "Actual Products not Available" {
		t.Errorf("morphine: %+v", ps)
	}
	if ps, _ := s.FindProducts(ctx, "paracetamol 500mg tablets 32", 10); len(ps) != 0 {
		t.Errorf("packs are not offered: %+v", ps)
	}
	amp, err := s.Product(ctx, "3327811000001104")
	if err != nil {
		t.Fatal(err)
	}
	if amp.Kind != "AMP" || amp.VMP != "42109611000001109" || amp.VTM != "90332006" || amp.VTMName != "Paracetamol" ||
		strings.Join(amp.Ingredients, ",") != "387517004" || amp.Form != "Tablet" || amp.ControlledDrug != "No Controlled Drug Status" || !amp.NurseFormulary {
		t.Errorf("AMP: %+v", amp)
	}
	// The Nurse Prescribers' Formulary flag of the pack reaches its VMP;
	// morphine has no pack on it.
	if vmp, _ := s.Product(ctx, "42109611000001109"); !vmp.NurseFormulary {
		t.Errorf("paracetamol VMP not on the NPF: %+v", vmp)
	}
	if m, _ := s.Product(ctx, "36128211000001107"); m.NurseFormulary {
		t.Errorf("morphine on the NPF: %+v", m)
	}
	// So does the personally administered (PADM) flag, for the FP34D
	// claim of an item given at the practice.
	if vmp, _ := s.Product(ctx, "42109611000001109"); !vmp.PersonallyAdministered || !amp.PersonallyAdministered {
		t.Errorf("the pack's PADM flag did not reach its AMP and VMP: %+v %+v", amp, vmp)
	}
	if m, _ := s.Product(ctx, "36128211000001107"); m.PersonallyAdministered {
		t.Errorf("morphine marked PADM: %+v", m)
	}
	for _, code := range []string{"90332006", "1000611000001101", "123"} {
		if _, err := s.Product(ctx, code); !errors.Is(err, ErrNotProduct) {
			t.Errorf("%s: %v", code, err)
		}
	}
}

// BenchmarkDrugTypeahead measures the drug typeahead (FindProducts, 10
// products) over a synthetic full-size dm+d (about 350,000 products and
// packs) on SQLite, and on PostgreSQL when GPCLOUD_TEST_POSTGRES is set:
// what a prescriber types, the first 3 to 6 letters of a name and a
// strength or form. The issue asks p95 < 20 ms. Run with
// go test ./internal/terminology -run XXX -bench DrugTypeahead -benchtime 1x
func BenchmarkDrugTypeahead(b *testing.B) {
	dir := b.TempDir()
	stats, err := dmdsynth.Write(dir, dmdsynth.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("synthetic dm+d: %d concepts (%d VTM, %d VMP, %d AMP, %d VMPP, %d AMPP)", stats.Total(), stats.VTMs, stats.VMPs, stats.AMPs, stats.VMPPs, stats.AMPPs)
	var queries []string
	for i, name := range stats.Names {
		if i%7 != 0 {
			continue
		}
		w := strings.Fields(name)
		n := 3 + i%4
		q := strings.ToLower(w[0][:min(n, len(w[0]))])
		if i%2 == 0 && len(w) > 1 {
			q += " " + w[1]
		}
		queries = append(queries, q)
	}
	queries = append(queries, "amox", "amoxicillin 500", "para", "paracetamol tab", "ibu", "morph", "tab", "caps 500")
	stores := map[string]func(testing.TB) store.Store{"sqlite": func(tb testing.TB) store.Store { return storetest.OpenSQLite(tb) }}
	if os.Getenv("GPCLOUD_TEST_POSTGRES") != "" {
		stores["postgres"] = func(tb testing.TB) store.Store { return storetest.OpenPostgres(tb) }
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			s, _ := New(open(b))
			ctx := context.Background()
			start := time.Now()
			if _, err := LoadDMD(ctx, s.Store(), dir, LoadOptions{}); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: loaded in %s", name, time.Since(start).Round(time.Second))
			// One pass untimed: a server answering typeaheads has the
			// word index in its cache, which a release just loaded has not.
			for _, q := range queries {
				if _, err := s.FindProducts(ctx, q, 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				var lat []time.Duration
				type timed struct {
					q string
					d time.Duration
				}
				var all []timed
				found := 0
				var cpu []time.Duration
				for _, q := range queries {
					t0, c0 := time.Now(), processCPU()
					ps, err := s.FindProducts(ctx, q, 10)
					lat = append(lat, time.Since(t0))
					cpu = append(cpu, processCPU()-c0)
					all = append(all, timed{q, lat[len(lat)-1]})
					if err != nil {
						b.Fatal(err)
					}
					if len(ps) > 0 {
						found++
					}
				}
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
				for _, t := range all[:min(8, len(all))] {
					b.Logf("%s: slow: %q %s", name, t.q, t.d.Round(100*time.Microsecond))
				}
				p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(p(0.5), "p50-ms")
				b.ReportMetric(p(0.95), "p95-ms")
				// The process's CPU per query: SQLite runs in it, so this is
				// the query's cost whatever else the machine runs (not
				// PostgreSQL's, whose server is another process).
				sort.Slice(cpu, func(i, j int) bool { return cpu[i] < cpu[j] })
				b.ReportMetric(float64(cpu[int(0.95*float64(len(cpu)-1))].Microseconds())/1000, "p95-cpu-ms")
				b.Logf("%s: %d queries (%d found products): p50 %.1f ms, p95 %.1f ms, max %s", name, len(queries), found, p(0.5), p(0.95), fmt.Sprint(lat[len(lat)-1].Round(time.Millisecond)))
			}
		})
	}
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
