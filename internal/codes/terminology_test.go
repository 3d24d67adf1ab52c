package codes

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/terminology"
	"github.com/gpcloud/gpcloud/internal/terminology/termtest"
)

func TestTerminologyFinder(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t)
	f := Terminology{Service: service.New(st, service.Options{})}

	// No release at all: the stand-in answers.
	got, err := f.Find(ctx, "hypert", 5)
	if err != nil || len(got) == 0 || got[0].Code != "38341003" || f.Connected() {
		t.Fatalf("without a release: %v %v connected=%v", got, err, f.Connected())
	}
	// The starter set: found there, still "not connected".
	if _, err := terminology.LoadStarter(ctx, st.(store.Terminology)); err != nil {
		t.Fatal(err)
	}
	if f.Connected() {
		t.Error("the starter set counts as a licensed release")
	}
	// A release: ranked by the terminology, connected.
	termtest.LoadSmallRelease(t, st)
	for _, tc := range []struct {
		text  string
		first string
	}{
		{"diab mel", "73211009"},
		{"high blood", "38341003"},
		{"t2dm", "44054006"},
	} {
		got, err := f.Find(ctx, tc.text, 5)
		if err != nil || len(got) == 0 || got[0].Code != tc.first {
			t.Errorf("%q: %v %v, want %s first", tc.text, got, err, tc.first)
		}
	}
	if got, _ := f.Find(ctx, "high blood", 5); got[0].Display != "High blood pressure" {
		t.Errorf("the synonym typed is what shows: %v", got)
	}
	if got, _ := f.Find(ctx, "d", 5); got != nil {
		t.Errorf("one letter searched: %v", got)
	}
	if !f.Connected() {
		t.Error("a loaded release is not connected")
	}
}
