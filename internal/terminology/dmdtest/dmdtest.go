// Package dmdtest loads a small dm+d release (NHSBSA's XML layout,
// through terminology.LoadDMD) for the tests of the packages that
// prescribe: amoxicillin (generic, a brand, a discontinued supplier's, an
// unavailable VMP, one invalid to prescribe), diazepam (Schedule 4),
// pregabalin (Schedule 3), morphine oral solution (Schedule 2), lithium
// (not to be prescribed as a generic, and its brand), and methadone oral
// solution (Schedule 2) and buprenorphine sublingual tablets (Schedule 3)
// for instalment prescriptions; a multivitamin tonic whose only brand's
// pack is in Drug Tariff Part XVIIIA (not prescribable on the NHS: the
// AMP and the VMP are blacklisted) and oseltamivir, whose only brand's
// pack is in the Selected List Scheme (Part XVIIIB: both SLS); and
// hydroxocobalamin injection (vitamin B12, a depot given at the practice:
// its pack is marked personally administered, PADM) with a brand. Codes
// other than amoxicillin 500mg capsules' are made up in a test namespace, with valid
// check digits.
package dmdtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Codes of the release.
const (
	Amoxicillin500    = "323509004"
	Amoxicillin250    = "90051999999108"
	AmoxicillinChew   = "90061999999105" // actual products not available
	AmoxicillinSachet = "90071999999100" // invalid to prescribe
	Diazepam2         = "90081999999102" // Schedule 4 (CD Benz)
	Pregabalin75      = "90091999999104" // Schedule 3
	LithiumMR         = "90101999999108" // not recommended as a VMP
	MorphineSolution  = "90111999999106" // Schedule 2
	Amoxil            = "90121999999100" // AMP of Amoxicillin500
	Priadel           = "90131999999102" // AMP of LithiumMR
	AmoxicillinGone   = "90141999999105" // AMP, discontinued
	Methadone         = "90171999999104" // Schedule 2, oral solution (ml)
	Buprenorphine2    = "90181999999101" // Schedule 3
	TonicVMP          = "90221999999108" // blacklisted (its only AMP's packs are)
	Tonivit           = "90231999999106" // AMP of TonicVMP, pack SCHED_1
	Oseltamivir75     = "90271999999109" // SLS (its only AMP's packs are)
	Tamiflu           = "90281999999107" // AMP of Oseltamivir75, pack SCHED_2
	Hydroxocobalamin  = "90321999999103" // injection, a pack PADM
	CobalinH          = "90331999999100" // AMP of Hydroxocobalamin, its pack PADM
)

var files = map[string]string{
	"f_lookup2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><LOOKUP>
<VIRTUAL_PRODUCT_PRES_STATUS><INFO><CD>0001</CD><DESC>Valid as a prescribable product</DESC></INFO><INFO><CD>0002</CD><DESC>Invalid as a prescribable product</DESC></INFO><INFO><CD>0003</CD><DESC>Not recommended to prescribe as a VMP due to lack of bioequivalence</DESC></INFO></VIRTUAL_PRODUCT_PRES_STATUS>
<CONTROL_DRUG_CATEGORY><INFO><CD>0000</CD><DESC>No Controlled Drug Status</DESC></INFO><INFO><CD>0001</CD><DESC>Schedule 2 (CD)</DESC></INFO><INFO><CD>0002</CD><DESC>Schedule 3 (CD No Register)</DESC></INFO><INFO><CD>0003</CD><DESC>Schedule 4 (CD Benz)</DESC></INFO></CONTROL_DRUG_CATEGORY>
<VIRTUAL_PRODUCT_NON_AVAIL><INFO><CD>0001</CD><DESC>Actual Products not Available</DESC></INFO></VIRTUAL_PRODUCT_NON_AVAIL>
<AVAILABILITY_RESTRICTION><INFO><CD>0001</CD><DESC>None</DESC></INFO><INFO><CD>0009</CD><DESC>Discontinued</DESC></INFO></AVAILABILITY_RESTRICTION>
<FORM><INFO><CD>385055001</CD><DESC>Tablet</DESC></INFO><INFO><CD>385049006</CD><DESC>Capsule</DESC></INFO></FORM>
<UNIT_OF_MEASURE><INFO><CD>413516001</CD><DESC>ampoule</DESC></INFO><INFO><CD>428673006</CD><DESC>tablet</DESC></INFO><INFO><CD>428641000</CD><DESC>capsule</DESC></INFO><INFO><CD>258773002</CD><DESC>ml</DESC></INFO><INFO><CD>408102007</CD><DESC>sachet</DESC></INFO></UNIT_OF_MEASURE>
</LOOKUP>`,
	"f_vtm2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_THERAPEUTIC_MOIETIES>
<VTM><VTMID>27658006</VTMID><NM>Amoxicillin</NM></VTM>
<VTM><VTMID>90011999999107</VTMID><NM>Diazepam</NM></VTM>
<VTM><VTMID>90021999999101</VTMID><NM>Pregabalin</NM></VTM>
<VTM><VTMID>90031999999103</VTMID><NM>Lithium carbonate</NM></VTM>
<VTM><VTMID>90041999999106</VTMID><NM>Morphine</NM></VTM>
<VTM><VTMID>90191999999103</VTMID><NM>Methadone</NM></VTM>
<VTM><VTMID>90201999999100</VTMID><NM>Buprenorphine</NM></VTM>
<VTM><VTMID>90211999999102</VTMID><NM>Multivitamin</NM></VTM>
<VTM><VTMID>90261999999104</VTMID><NM>Oseltamivir</NM></VTM>
<VTM><VTMID>90311999999109</VTMID><NM>Hydroxocobalamin</NM></VTM>
</VIRTUAL_THERAPEUTIC_MOIETIES>`,
	"f_vmp2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_MED_PRODUCTS><VMPS>
<VMP><VPID>323509004</VPID><VTMID>27658006</VTMID><NM>Amoxicillin 500mg capsules</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428641000</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90051999999108</VPID><VTMID>27658006</VTMID><NM>Amoxicillin 250mg capsules</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428641000</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90061999999105</VPID><VTMID>27658006</VTMID><NM>Amoxicillin 125mg chewable tablets</NM><PRES_STATCD>0001</PRES_STATCD><NON_AVAILCD>0001</NON_AVAILCD><UNIT_DOSE_UOMCD>428673006</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90071999999100</VPID><VTMID>27658006</VTMID><NM>Amoxicillin 3g oral powder sachets</NM><PRES_STATCD>0002</PRES_STATCD><UNIT_DOSE_UOMCD>408102007</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90081999999102</VPID><VTMID>90011999999107</VTMID><NM>Diazepam 2mg tablets</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428673006</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90091999999104</VPID><VTMID>90021999999101</VTMID><NM>Pregabalin 75mg capsules</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428641000</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90101999999108</VPID><VTMID>90031999999103</VTMID><NM>Lithium carbonate 400mg modified-release tablets</NM><PRES_STATCD>0003</PRES_STATCD><UNIT_DOSE_UOMCD>428673006</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90111999999106</VPID><VTMID>90041999999106</VTMID><NM>Morphine sulfate 10mg/5ml oral solution</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>258773002</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90171999999104</VPID><VTMID>90191999999103</VTMID><NM>Methadone 1mg/ml oral solution sugar free</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>258773002</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90181999999101</VPID><VTMID>90201999999100</VTMID><NM>Buprenorphine 2mg sublingual tablets</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428673006</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90221999999108</VPID><VTMID>90211999999102</VTMID><NM>Multivitamin tonic oral liquid</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>258773002</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90271999999109</VPID><VTMID>90261999999104</VTMID><NM>Oseltamivir 75mg capsules</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>428641000</UNIT_DOSE_UOMCD></VMP>
<VMP><VPID>90321999999103</VPID><VTMID>90311999999109</VTMID><NM>Hydroxocobalamin 1mg/1ml solution for injection ampoules</NM><PRES_STATCD>0001</PRES_STATCD><UNIT_DOSE_UOMCD>413516001</UNIT_DOSE_UOMCD></VMP>
</VMPS>
<VIRTUAL_PRODUCT_INGREDIENT>
<VPI><VPID>323509004</VPID><ISID>372687004</ISID></VPI><VPI><VPID>90051999999108</VPID><ISID>372687004</ISID></VPI>
<VPI><VPID>90061999999105</VPID><ISID>372687004</ISID></VPI><VPI><VPID>90071999999100</VPID><ISID>372687004</ISID></VPI>
<VPI><VPID>90081999999102</VPID><ISID>387264003</ISID></VPI><VPI><VPID>90091999999104</VPID><ISID>415160008</ISID></VPI>
<VPI><VPID>90111999999106</VPID><ISID>373529000</ISID></VPI>
<VPI><VPID>90171999999104</VPID><ISID>387286002</ISID></VPI><VPI><VPID>90181999999101</VPID><ISID>387173000</ISID></VPI>
<VPI><VPID>90321999999103</VPID><ISID>409258004</ISID></VPI>
</VIRTUAL_PRODUCT_INGREDIENT>
<DRUG_FORM><DFORM><VPID>323509004</VPID><FORMCD>385049006</FORMCD></DFORM><DFORM><VPID>90081999999102</VPID><FORMCD>385055001</FORMCD></DFORM></DRUG_FORM>
<CONTROL_DRUG_INFO>
<CONTROL_INFO><VPID>323509004</VPID><CATCD>0000</CATCD></CONTROL_INFO>
<CONTROL_INFO><VPID>90081999999102</VPID><CATCD>0003</CATCD></CONTROL_INFO>
<CONTROL_INFO><VPID>90091999999104</VPID><CATCD>0002</CATCD></CONTROL_INFO>
<CONTROL_INFO><VPID>90111999999106</VPID><CATCD>0001</CATCD></CONTROL_INFO>
<CONTROL_INFO><VPID>90171999999104</VPID><CATCD>0001</CATCD></CONTROL_INFO>
<CONTROL_INFO><VPID>90181999999101</VPID><CATCD>0002</CATCD></CONTROL_INFO>
</CONTROL_DRUG_INFO></VIRTUAL_MED_PRODUCTS>`,
	"f_amp2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><ACTUAL_MEDICINAL_PRODUCTS><AMPS>
<AMP><APID>90121999999100</APID><VPID>323509004</VPID><NM>Amoxil 500mg capsules</NM><DESC>Amoxil 500mg capsules (GlaxoSmithKline UK Ltd)</DESC><AVAIL_RESTRICTCD>0001</AVAIL_RESTRICTCD></AMP>
<AMP><APID>90131999999102</APID><VPID>90101999999108</VPID><NM>Priadel 400mg modified-release tablets</NM><DESC>Priadel 400mg modified-release tablets (Essential Pharma Ltd)</DESC><AVAIL_RESTRICTCD>0001</AVAIL_RESTRICTCD></AMP>
<AMP><APID>90331999999100</APID><VPID>90321999999103</VPID><NM>Cobalin-H 1mg/1ml solution for injection ampoules</NM><DESC>Cobalin-H 1mg/1ml solution for injection ampoules (Advanz Pharma)</DESC><AVAIL_RESTRICTCD>0001</AVAIL_RESTRICTCD></AMP>
<AMP><APID>90141999999105</APID><VPID>323509004</VPID><NM>Amoxicillin 500mg capsules</NM><DESC>Amoxicillin 500mg capsules (Gone Pharma Ltd)</DESC><AVAIL_RESTRICTCD>0009</AVAIL_RESTRICTCD></AMP>
<AMP><APID>90231999999106</APID><VPID>90221999999108</VPID><NM>Tonivit oral liquid</NM><DESC>Tonivit oral liquid (Test Tonics Ltd)</DESC><AVAIL_RESTRICTCD>0001</AVAIL_RESTRICTCD></AMP>
<AMP><APID>90281999999107</APID><VPID>90271999999109</VPID><NM>Tamiflu 75mg capsules</NM><DESC>Tamiflu 75mg capsules (Roche Products Ltd)</DESC><AVAIL_RESTRICTCD>0001</AVAIL_RESTRICTCD></AMP>
</AMPS></ACTUAL_MEDICINAL_PRODUCTS>`,
	"f_vmpp2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><VIRTUAL_MED_PRODUCT_PACK><VMPPS>
<VMPP><VPPID>90151999999107</VPPID><NM>Amoxicillin 500mg capsules 21 capsule</NM><VPID>323509004</VPID><QTYVAL>21</QTYVAL></VMPP>
<VMPP><VPPID>90241999999103</VPPID><NM>Multivitamin tonic oral liquid 200 ml</NM><VPID>90221999999108</VPID><QTYVAL>200</QTYVAL></VMPP>
<VMPP><VPPID>90291999999105</VPPID><NM>Oseltamivir 75mg capsules 10 capsule</NM><VPID>90271999999109</VPID><QTYVAL>10</QTYVAL></VMPP>
<VMPP><VPPID>90341999999108</VPPID><NM>Hydroxocobalamin 1mg/1ml solution for injection ampoules 5 ampoule</NM><VPID>90321999999103</VPID><QTYVAL>5</QTYVAL></VMPP>
</VMPPS></VIRTUAL_MED_PRODUCT_PACK>`,
	"f_ampp2_9990101.xml": `<?xml version="1.0" encoding="utf-8"?><ACTUAL_MEDICINAL_PROD_PACKS><AMPPS>
<AMPP><APPID>90161999999109</APPID><NM>Amoxil 500mg capsules 21 capsule</NM><VPPID>90151999999107</VPPID><APID>90121999999100</APID></AMPP>
<AMPP><APPID>90251999999101</APPID><NM>Tonivit oral liquid 200 ml</NM><VPPID>90241999999103</VPPID><APID>90231999999106</APID></AMPP>
<AMPP><APPID>90301999999106</APPID><NM>Tamiflu 75mg capsules 10 capsule</NM><VPPID>90291999999105</VPPID><APID>90281999999107</APID></AMPP>
<AMPP><APPID>90351999999105</APPID><NM>Cobalin-H 1mg/1ml solution for injection ampoules 5 ampoule</NM><VPPID>90341999999108</VPPID><APID>90331999999100</APID></AMPP>
</AMPPS><PRESCRIBING_INFO>
<PRESC_INFO><APPID>90251999999101</APPID><SCHED_1>1</SCHED_1></PRESC_INFO>
<PRESC_INFO><APPID>90301999999106</APPID><SCHED_2>1</SCHED_2></PRESC_INFO>
<PRESC_INFO><APPID>90351999999105</APPID><PADM>1</PADM></PRESC_INFO>
</PRESCRIBING_INFO></ACTUAL_MEDICINAL_PROD_PACKS>`,
}

// Load loads the release as st's current dm+d release.
func Load(tb testing.TB, st store.Store) {
	tb.Helper()
	tm, ok := st.(store.Terminology)
	if !ok {
		tb.Fatal("the store keeps no terminology")
	}
	dir := tb.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := terminology.LoadDMD(context.Background(), tm, dir, terminology.LoadOptions{}); err != nil && !errors.Is(err, terminology.ErrAlreadyLoaded) {
		tb.Fatal(err)
	}
}
