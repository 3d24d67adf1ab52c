package terminology

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/terminology/rf2synth"
)

func TestLoadRF2Synthetic(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s, _ := New(st)
	ctx := context.Background()
	dir := t.TempDir()
	stats, err := rf2synth.Write(dir, rf2synth.Options{Concepts: 5000})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	rel, err := LoadRF2(ctx, s.Store(), dir, LoadOptions{Progress: func(m string) { msgs = append(msgs, m) }, Batch: 700})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rel.Version, "sct2_Concept_Snapshot_SYN_20250101") || len(msgs) == 0 {
		t.Errorf("release %+v, progress %v", rel, msgs)
	}
	all, err := s.Store().TermCodes(ctx, SNOMED, 0)
	if err != nil || len(all) != stats.Concepts {
		t.Fatalf("%d concepts loaded, want %d (%v)", len(all), stats.Concepts, err)
	}
	r, err := s.Expand(ctx, params("url", SNOMED+"?fhir_vs", "filter", "diab mel"), nil)
	if err != nil || len(codesOf(r)) == 0 || codesOf(r)[0] != "73211009" {
		t.Fatalf("typeahead on the loaded release: %v %v", codesOf(r), err)
	}
	r, err = s.Subsumes(ctx, params("system", SNOMED, "codeA", "404684003", "codeB", "44054006"))
	if err != nil || paramValue(r, "outcome") != "subsumes" {
		t.Fatalf("subsumes: %v %v", r, err)
	}
	// The same release again: nothing to do.
	if _, err := LoadRF2(ctx, s.Store(), dir, LoadOptions{}); !errors.Is(err, ErrAlreadyLoaded) {
		t.Errorf("second load: %v", err)
	}
	// As a zip.
	zp := filepath.Join(t.TempDir(), "release.zip")
	zipDir(t, dir, zp)
	if _, err := LoadRF2(ctx, s.Store(), zp, LoadOptions{Force: true}); err != nil {
		t.Fatalf("zip: %v", err)
	}
}

func zipDir(t *testing.T, dir, out string) {
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create("SnomedCT_Synthetic/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	zw.Close()
	f.Close()
}

// TestLoadRF2Refuses: a malformed file stops the load with its file and
// line, and the release that was current stays current, whole.
func TestLoadRF2Refuses(t *testing.T) {
	const conceptHeader = "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n"
	const descHeader = "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\n"
	goodConcepts := conceptHeader + "73211009\t20250101\t1\t900000000000207008\t900000000000074008\n"
	goodDescs := descHeader + "121589010\t20250101\t1\t900000000000207008\t73211009\ten\t900000000000013009\tDiabetes mellitus\t900000000000448009\n"
	for _, tc := range []struct {
		name, concepts, descs, want string
	}{
		{"header", "id\tactive\n", goodDescs, "sct2_Concept_Snapshot_X_20250101.txt:1: not an RF2 concept file"},
		{"columns", goodConcepts + "1\t20250101\t1\n", goodDescs, "sct2_Concept_Snapshot_X_20250101.txt:3: 3 columns, want 5"},
		{"active", goodConcepts, descHeader + "121589010\t20250101\tyes\t900000000000207008\t73211009\ten\t900000000000013009\tx\t900000000000448009\n",
			"sct2_Description_Snapshot_X_20250101.txt:2: active \"yes\""},
		{"id", goodConcepts, descHeader + "12158x010\t20250101\t1\t900000000000207008\t73211009\ten\t900000000000013009\tx\t900000000000448009\n",
			"sct2_Description_Snapshot_X_20250101.txt:2: id \"12158x010\""},
		{"date", goodConcepts + "46635009\t2025-01-01\t1\t900000000000207008\t900000000000074008\n", goodDescs, ":3: effectiveTime"},
		{"term", goodConcepts, descHeader + "121589010\t20250101\t1\t900000000000207008\t73211009\ten\t900000000000013009\t\t900000000000448009\n", ":2: empty term"},
		{"truncated", goodConcepts, "", ":1: empty file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.OpenSQLite(t)
			s, _ := New(st)
			ctx := context.Background()
			testRelease(t, s.Store())
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "sct2_Concept_Snapshot_X_20250101.txt"), []byte(tc.concepts), 0o644)
			os.WriteFile(filepath.Join(dir, "sct2_Description_Snapshot_X_20250101.txt"), []byte(tc.descs), 0o644)
			_, err := LoadRF2(ctx, s.Store(), dir, LoadOptions{})
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a LineError with %q", err, tc.want)
			}
			rels, _ := s.Store().TermReleases(ctx)
			for _, r := range rels {
				if r.Source == SourceSNOMED && r.Version != "termtest" {
					t.Errorf("current release changed to %+v", r)
				}
			}
			if _, _, err := s.Store().TermConcept(ctx, SNOMED, "44054006"); err != nil {
				t.Errorf("previous release damaged: %v", err)
			}
		})
	}
	t.Run("no files", func(t *testing.T) {
		st := storetest.OpenSQLite(t)
		s, _ := New(st)
		if _, err := LoadRF2(context.Background(), s.Store(), t.TempDir(), LoadOptions{}); err == nil {
			t.Error("an empty folder loaded")
		}
	})
}

// FuzzReadRF2 feeds arbitrary bytes to the reader as a description file:
// it must refuse or accept without panicking, and what it accepts has the
// file's shape.
func FuzzReadRF2(f *testing.F) {
	header := strings.Join(rf2Description.header, "\t") + "\n"
	f.Add(header + "121589010\t20250101\t1\t900000000000207008\t73211009\ten\t900000000000013009\tDiabetes\t900000000000448009\n")
	f.Add(header + "1\t2\t3\n")
	f.Add("")
	f.Add(header + "\r\n\r\n")
	f.Fuzz(func(t *testing.T, data string) {
		file := rf2File{name: "f.txt", open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }}
		_, err := readRF2(file, rf2Description, func(row []string, line int) error {
			if len(row) != len(rf2Description.header) || (row[2] != "0" && row[2] != "1") || !isDigits(row[4]) {
				t.Fatalf("accepted a malformed row %q at line %d", row, line)
			}
			return nil
		})
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error without file:line: %v", err)
		}
	})
}

var _ = store.IsA
