package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/terminology/rf2synth"
)

func TestAdminTerminologyLoad(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	run1 := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, errOut := run1("admin", "init", "--data", data); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	rel := t.TempDir()
	if _, err := rf2synth.Write(rel, rf2synth.Options{Concepts: 2000}); err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "sct2_Concept_Snapshot_X_20250101.txt"), []byte("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n1\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "sct2_Description_Snapshot_X_20250101.txt"), []byte("x\n"), 0o644)
	for _, tc := range []struct {
		args       []string
		code       int
		out, inErr string
	}{
		{[]string{"admin", "terminology", "load", "-h"}, 0, "gpcloud admin terminology load [", ""},
		{[]string{"admin", "terminology", "load", "--data", data}, 2, "", "give --snomed PATH"},
		{[]string{"admin", "terminology", "load", "--data", data, "--snomed", filepath.Join(rel, "missing")}, 2, "", "no such file"},
		{[]string{"admin", "terminology", "load", "--data", filepath.Join(data, "none"), "--snomed", rel}, 2, "", "no gpcloud store"},
		{[]string{"admin", "terminology", "load", "--data", data, "--snomed", rel}, 0, "loaded SNOMED CT release sct2_Concept_Snapshot_SYN_20250101", ""},
		{[]string{"admin", "terminology", "load", "--data", data, "--snomed", rel}, 0, "is loaded already: nothing to do", ""},
		{[]string{"admin", "terminology", "load", "--data", data, "--snomed", bad}, 1, "", "sct2_Description_Snapshot_X_20250101.txt:1: not an RF2 description file"},
		{[]string{"admin", "terminology", "frobnicate"}, 2, "", "unknown command"},
	} {
		code, out, errOut := run1(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.inErr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out, errOut, tc.code, tc.out, tc.inErr)
		}
	}
}
