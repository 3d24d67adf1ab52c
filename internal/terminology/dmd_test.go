package terminology

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// A small dm+d release in NHSBSA's layout: paracetamol (VTM), its 500mg
// tablets (VMP), a brand (AMP), packs; morphine as a controlled drug.
var dmdRelease = map[string]string{
	"f_lookup2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><LOOKUP>
<VIRTUAL_PRODUCT_PRES_STATUS><INFO><CD>1</CD><DESC>Valid as a prescribable product</DESC></INFO></VIRTUAL_PRODUCT_PRES_STATUS>
<CONTROL_DRUG_CATEGORY><INFO><CD>0000</CD><DESC>No Controlled Drug Status</DESC></INFO><INFO><CD>0002</CD><DESC>Schedule 2 (CD)</DESC></INFO></CONTROL_DRUG_CATEGORY>
<FORM><INFO><CD>385055001</CD><CDDT>2004-01-01</CDDT><DESC>Tablet</DESC></INFO></FORM>
<ROUTE><INFO><CD>26643006</CD><DESC>Oral</DESC></INFO></ROUTE>
<UNIT_OF_MEASURE><INFO><CD>258684004</CD><DESC>mg</DESC></INFO></UNIT_OF_MEASURE>
<VIRTUAL_PRODUCT_NON_AVAIL><INFO><CD>1</CD><DESC>Actual Products not Available</DESC></INFO></VIRTUAL_PRODUCT_NON_AVAIL>
</LOOKUP>`,
	"f_vtm2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_THERAPEUTIC_MOIETIES>
<VTM><VTMID>90332006</VTMID><NM>Paracetamol</NM></VTM>
<VTM><VTMID>373529000</VTMID><NM>Morphine</NM></VTM>
</VIRTUAL_THERAPEUTIC_MOIETIES>`,
	"f_vmp2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_MED_PRODUCTS>
<VMPS><VMP><VPID>42109611000001109</VPID><VTMID>90332006</VTMID><NM>Paracetamol 500mg tablets</NM><PRES_STATCD>1</PRES_STATCD><SUG_F>1</SUG_F></VMP>
<VMP><VPID>36128211000001107</VPID><VTMID>373529000</VTMID><NM>Morphine 10mg modified-release tablets</NM><ABBREVNM>Morphine 10mg m/r tabs</ABBREVNM><PRES_STATCD>1</PRES_STATCD><NON_AVAILCD>1</NON_AVAILCD></VMP></VMPS>
<VIRTUAL_PRODUCT_INGREDIENT><VPI><VPID>42109611000001109</VPID><ISID>387517004</ISID><STRNT_NMRTR_VAL>500</STRNT_NMRTR_VAL><STRNT_NMRTR_UOMCD>258684004</STRNT_NMRTR_UOMCD></VPI></VIRTUAL_PRODUCT_INGREDIENT>
<DRUG_FORM><DFORM><VPID>42109611000001109</VPID><FORMCD>385055001</FORMCD></DFORM></DRUG_FORM>
<DRUG_ROUTE><DROUTE><VPID>42109611000001109</VPID><ROUTECD>26643006</ROUTECD></DROUTE></DRUG_ROUTE>
<CONTROL_DRUG_INFO><CONTROL_INFO><VPID>42109611000001109</VPID><CATCD>0000</CATCD></CONTROL_INFO><CONTROL_INFO><VPID>36128211000001107</VPID><CATCD>0002</CATCD></CONTROL_INFO></CONTROL_DRUG_INFO>
</VIRTUAL_MED_PRODUCTS>`,
	"f_amp2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><ACTUAL_MEDICINAL_PRODUCTS><AMPS>
<AMP><APID>3327811000001104</APID><VPID>42109611000001109</VPID><NM>Panadol 500mg tablets</NM><DESC>Panadol 500mg tablets (Haleon UK Ltd)</DESC><SUPPCD>2070501000001104</SUPPCD></AMP>
</AMPS></ACTUAL_MEDICINAL_PRODUCTS>`,
	"f_vmpp2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_MED_PRODUCT_PACK><VMPPS>
<VMPP><VPPID>1000611000001101</VPPID><NM>Paracetamol 500mg tablets 32 tablet</NM><VPID>42109611000001109</VPID><QTYVAL>32</QTYVAL></VMPP>
</VMPPS><DRUG_TARIFF_INFO><DTINFO><VPPID>1000611000001101</VPPID><PAY_CATCD>1</PAY_CATCD><PRICE>88</PRICE></DTINFO></DRUG_TARIFF_INFO></VIRTUAL_MED_PRODUCT_PACK>`,
	"f_ampp2_3010125.xml": `<?xml version="1.0" encoding="utf-8"?><ACTUAL_MEDICINAL_PROD_PACKS><AMPPS>
<AMPP><APPID>1000711000001108</APPID><NM>Panadol 500mg tablets 32 tablet</NM><VPPID>1000611000001101</VPPID><APID>3327811000001104</APID></AMPP>
</AMPPS><PRESCRIBING_INFO><PRESC_INFO><APPID>1000711000001108</APPID><SCHED_1>1</SCHED_1><NURSE_F>1</NURSE_F><PADM>1</PADM></PRESC_INFO></PRESCRIBING_INFO></ACTUAL_MEDICINAL_PROD_PACKS>`,
}

func writeRelease(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadDMD(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s, _ := New(st)
	ctx := context.Background()
	if _, err := LoadStarter(ctx, s.Store()); err != nil {
		t.Fatal(err)
	}
	dir := writeRelease(t, dmdRelease)
	if _, err := LoadDMD(ctx, s.Store(), dir, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Lookup(ctx, params("system", DMD, "code", "42109611000001109"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	for _, want := range []string{"Paracetamol 500mg tablets", `"VMP"`, "Valid as a prescribable product", "Tablet", "Oral", "387517004 500mg", "No Controlled Drug Status", `"sugarFree"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("lookup lacks %s: %s", want, b)
		}
	}
	r, _ = s.Lookup(ctx, params("system", DMD, "code", "36128211000001107"))
	b, _ = json.Marshal(r)
	for _, want := range []string{"Schedule 2 (CD)", "Actual Products not Available"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("morphine lacks %s: %s", want, b)
		}
	}
	r, _ = s.Lookup(ctx, params("system", DMD, "code", "1000711000001108"))
	if b, _ = json.Marshal(r); !strings.Contains(string(b), "schedule1NotPrescribable") {
		t.Errorf("AMPP lacks its prescribing flags: %s", b)
	}
	r, err = s.Subsumes(ctx, params("system", DMD, "codeA", "90332006", "codeB", "3327811000001104"))
	if err != nil || paramValue(r, "outcome") != "subsumes" {
		t.Errorf("VTM subsumes its AMP: %v %v", r, err)
	}
	r, err = s.Expand(ctx, params("url", DMD+"?fhir_vs", "filter", "morph m/r"), nil)
	if err != nil || strings.Join(codesOf(r), ",") != "36128211000001107" {
		t.Errorf("typeahead on the abbreviated name: %v %v", codesOf(r), err)
	}
	if _, err := LoadDMD(ctx, s.Store(), dir, LoadOptions{}); !errors.Is(err, ErrAlreadyLoaded) {
		t.Errorf("second load: %v", err)
	}
}

func TestLoadDMDRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"truncated", "f_vtm2_3010125.xml", `<?xml version="1.0"?><VIRTUAL_THERAPEUTIC_MOIETIES><VTM><VTMID>1</VTMID><NM>x</NM></VTM>`, "f_vtm2_3010125.xml:1: "},
		{"no id", "f_vtm2_3010125.xml", "<?xml version=\"1.0\"?>\n<VIRTUAL_THERAPEUTIC_MOIETIES>\n<VTM><NM>x</NM></VTM></VIRTUAL_THERAPEUTIC_MOIETIES>", "f_vtm2_3010125.xml:3: <VTM> without <VTMID>"},
		{"orphan", "f_vmpp2_3010125.xml", "<X><DTINFO><VPPID>9</VPPID></DTINFO></X>", "which no <VMPP> holds"},
		{"empty", "f_amp2_3010125.xml", "", "empty file"},
		{"markup in a field", "f_vtm2_3010125.xml", "<V><VTM><VTMID><b>1</b></VTMID></VTM></V>", "unexpected element <b>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.OpenSQLite(t)
			s, _ := New(st)
			ctx := context.Background()
			good := writeRelease(t, dmdRelease)
			if _, err := LoadDMD(ctx, s.Store(), good, LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			for k, v := range dmdRelease {
				files[strings.Replace(k, "3010125", "3020125", 1)] = v
			}
			files[strings.Replace(tc.file, "3010125", "3020125", 1)] = tc.body
			_, err := LoadDMD(ctx, s.Store(), writeRelease(t, files), LoadOptions{})
			want := strings.Replace(tc.want, "3010125", "3020125", 1)
			var le *LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want a LineError with %q", err, want)
			}
			rel, _, _ := currentRelease(ctx, s.Store(), SourceDMD)
			if !strings.Contains(rel.Version, "3010125") {
				t.Errorf("the current release changed: %+v", rel)
			}
			if _, _, err := s.Store().TermConcept(ctx, DMD, "90332006"); err != nil {
				t.Errorf("the previous release is damaged: %v", err)
			}
		})
	}
}

func FuzzReadDMD(f *testing.F) {
	for _, body := range dmdRelease {
		f.Add(body)
	}
	f.Add("<a><VTM><VTMID>1")
	f.Fuzz(func(t *testing.T, data string) {
		err := readDMD("f.xml", strings.NewReader(data), map[string]bool{"VTM": true, "VMP": true, "INFO": true}, func(r dmdRecord) error {
			if r.fields == nil || r.name == "" {
				t.Fatal("a record without fields or name")
			}
			return nil
		})
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error without file:line: %v", err)
		}
	})
}
