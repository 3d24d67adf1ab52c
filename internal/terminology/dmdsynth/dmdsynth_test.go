package dmdsynth

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// TestWriteLoads: a small synthetic release is a dm+d release the loader
// takes, of the counts reported, with codes that pass the check digit,
// the same for the same seed.
func TestWriteLoads(t *testing.T) {
	dir := t.TempDir()
	st, err := Write(dir, Options{VTMs: 30})
	if err != nil {
		t.Fatal(err)
	}
	if st.VTMs != 30 || st.VMPs < 30*4 || st.AMPs < st.VMPs*2 || st.AMPPs < st.AMPs || st.Total() != st.VTMs+st.VMPs+st.AMPs+st.VMPPs+st.AMPPs {
		t.Errorf("stats %+v", st)
	}
	again, _ := Write(t.TempDir(), Options{VTMs: 30})
	if again.Total() != st.Total() || again.Names[5] != st.Names[5] {
		t.Error("the same seed wrote another release")
	}
	s, _ := terminology.New(storetest.OpenSQLite(t))
	ctx := context.Background()
	if _, err := terminology.LoadDMD(ctx, s.Store(), dir, terminology.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.FindProducts(ctx, "amoxicillin", 10)
	if err != nil || len(ps) == 0 || ps[0].Kind != "VMP" {
		t.Fatalf("amoxicillin: %+v %v", ps, err)
	}
	p, err := s.Product(ctx, ps[0].Code)
	if err != nil || p.VTMName != "Amoxicillin" || len(p.Ingredients) != 1 {
		t.Errorf("product %+v %v", p, err)
	}
	for _, code := range []string{ps[0].Code, p.VTM, SCTID(1001, "1999999")} {
		if !codes.ValidSCTID(code) {
			t.Errorf("%s fails the SNOMED CT check digit", code)
		}
	}
}
