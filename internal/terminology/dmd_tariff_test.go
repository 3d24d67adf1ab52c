package terminology

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestTariffAggregation: an AMP is blacklisted when all its packs are and
// SLS when any is; a VMP is either only when every AMP of it is; invalid
// packs and AMPs count only when nothing valid is left.
func TestTariffAggregation(t *testing.T) {
	var (
		plain = tariffFlags{Valid: true}
		black = tariffFlags{Valid: true, Blacklisted: true}
		sls   = tariffFlags{Valid: true, SLS: true}
		both  = tariffFlags{Valid: true, Blacklisted: true, SLS: true}
		gone  = tariffFlags{} // invalid, unrestricted
	)
	for _, tc := range []struct {
		name      string
		packs     []tariffFlags
		want      tariffFlags
		wantFound bool
	}{
		{"no packs", nil, tariffFlags{}, false},
		{"one plain pack", []tariffFlags{plain}, tariffFlags{}, true},
		{"all packs blacklisted", []tariffFlags{black, black}, tariffFlags{Blacklisted: true}, true},
		{"one pack the NHS pays for", []tariffFlags{black, plain}, tariffFlags{}, true},
		{"one SLS pack", []tariffFlags{plain, sls}, tariffFlags{SLS: true}, true},
		{"an invalid plain pack does not free the brand", []tariffFlags{black, gone}, tariffFlags{Blacklisted: true}, true},
		{"only invalid packs count then", []tariffFlags{gone}, tariffFlags{}, true},
		{"both flags", []tariffFlags{both}, tariffFlags{Blacklisted: true, SLS: true}, true},
	} {
		t.Run("AMP "+tc.name, func(t *testing.T) {
			got, ok := ampTariff(tc.packs)
			if ok != tc.wantFound || got != tc.want {
				t.Errorf("ampTariff = %+v %v, want %+v %v", got, ok, tc.want, tc.wantFound)
			}
		})
	}
	for _, tc := range []struct {
		name string
		amps []tariffFlags
		want tariffFlags
	}{
		{"no AMPs with packs", nil, tariffFlags{}},
		{"its only brand blacklisted", []tariffFlags{black}, tariffFlags{Blacklisted: true}},
		{"a brand blacklisted, a generic not", []tariffFlags{black, plain}, tariffFlags{}},
		{"every AMP SLS (oseltamivir)", []tariffFlags{sls, sls}, tariffFlags{SLS: true}},
		{"the brand SLS, a generic not (sildenafil since 2014)", []tariffFlags{sls, plain}, tariffFlags{}},
		{"an invalid AMP left out", []tariffFlags{sls, gone}, tariffFlags{SLS: true}},
	} {
		t.Run("VMP "+tc.name, func(t *testing.T) {
			if got := vmpTariff(tc.amps); got != tc.want {
				t.Errorf("vmpTariff = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestTariffLoaded: the loader carries a pack's flags to its AMP and
// VMP, Product and the typeahead read them, and a pack's flag dropped by
// the next release is dropped from its products.
func TestTariffLoaded(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s, _ := New(st)
	ctx := context.Background()
	if _, err := LoadDMD(ctx, s.Store(), writeRelease(t, dmdRelease), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	// Panadol's only pack is flagged SCHED_1 in the test release.
	for _, code := range []string{"3327811000001104", "42109611000001109"} {
		if p, err := s.Product(ctx, code); err != nil || !p.Blacklisted || p.SelectedList {
			t.Errorf("%s: %+v %v", code, p, err)
		}
	}
	if p, _ := s.Product(ctx, "36128211000001107"); p.Blacklisted || p.SelectedList {
		t.Errorf("morphine has no pack, so no flag: %+v", p)
	}
	if ps, _ := s.FindProducts(ctx, "panadol", 10); len(ps) != 1 || !ps[0].Blacklisted {
		t.Errorf("typeahead: %+v", ps)
	}
	next := map[string]string{}
	for k, v := range dmdRelease {
		next[k] = v
	}
	delete(next, "f_ampp2_3010125.xml")
	next["f_ampp2_3010132.xml"] = `<?xml version="1.0" encoding="utf-8"?><ACTUAL_MEDICINAL_PROD_PACKS><AMPPS>
<AMPP><APPID>1000711000001108</APPID><NM>Panadol 500mg tablets 32 tablet</NM><VPPID>1000611000001101</VPPID><APID>3327811000001104</APID></AMPP>
</AMPPS><PRESCRIBING_INFO><PRESC_INFO><APPID>1000711000001108</APPID><SCHED_2>1</SCHED_2></PRESC_INFO></PRESCRIBING_INFO></ACTUAL_MEDICINAL_PROD_PACKS>`
	if _, err := LoadDMD(ctx, s.Store(), writeRelease(t, next), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"3327811000001104", "42109611000001109"} {
		if p, err := s.Product(ctx, code); err != nil || p.Blacklisted || !p.SelectedList {
			t.Errorf("after the next release %s: %+v %v", code, p, err)
		}
	}
}
