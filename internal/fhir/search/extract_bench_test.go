package search

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// syntheaResources reads the resources of a few Synthea bundles.
func syntheaResources(tb testing.TB, bundles int) []map[string]any {
	dir := testdata.Dir(tb)
	files, _ := filepath.Glob(filepath.Join(dir, "synthea-r4", "*.json.gz"))
	if len(files) == 0 {
		tb.Skip("no Synthea bundles in the shared data")
	}
	var out []map[string]any
	for _, f := range files[:min(bundles, len(files))] {
		b, err := fhir.Unmarshal(testdata.Gunzip(tb, f))
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range b["entry"].([]any) {
			out = append(out, e.(map[string]any)["resource"].(map[string]any))
		}
	}
	return out
}

// sharedResources reads a few Synthea bundles' resources and the R4
// examples (every type they hold).
func sharedResources(tb testing.TB) []map[string]any {
	resources := syntheaResources(tb, 3)
	files, _ := filepath.Glob(filepath.Join(testdata.Dir(tb), "fhir-test-cases/r4/examples/*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if r, err := fhir.Unmarshal(data); err == nil {
			resources = append(resources, r)
		}
	}
	return resources
}

// BenchmarkExtract measures index extraction per resource over a mix of
// Synthea resources.
func BenchmarkExtract(b *testing.B) {
	res := syntheaResources(b, 5)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Extract(res[i%len(res)])
	}
}
