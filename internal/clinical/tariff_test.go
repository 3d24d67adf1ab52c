package clinical

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Drug Tariff products as the terminology service reads them.
var (
	dmdBlacklisted = terminology.Product{Code: "90231999999106", Name: "Tonivit oral liquid", Kind: "AMP", VMP: "90221999999108", Unit: "ml",
		PrescribingStatus: "Valid as a prescribable product", AvailabilityRestriction: "None", Blacklisted: true}
	dmdSLS = terminology.Product{Code: "90271999999109", Name: "Oseltamivir 75mg capsules", Kind: "VMP", Unit: "capsule",
		PrescribingStatus: "Valid as a prescribable product", SelectedList: true}
)

// TestTariffPrescription: a blacklisted product is refused with the
// Part XVIIIA words (not a warning to override); an SLS product needs the
// prescriber's confirmation, and with it the authorisation and each issue
// carry EPS's SLS endorsement; the confirmation means nothing for any
// other product.
func TestTariffPrescription(t *testing.T) {
	base := Prescription{Dose: "One capsule twice a day", Quantity: "10", Days: "5", Course: "acute"}
	for _, tc := range []struct {
		name  string
		p     terminology.Product
		sls   bool
		field string
		want  string
	}{
		{"blacklisted refused", dmdBlacklisted, false, "medicine", "not prescribable on the NHS (Drug Tariff Part XVIIIA): prescribe privately or choose another product"},
		{"blacklisted refused even confirmed SLS", dmdBlacklisted, true, "medicine", "Part XVIIIA"},
		{"SLS without the confirmation", dmdSLS, false, "sls", "Selected List Scheme (SLS"},
		{"SLS confirmed", dmdSLS, true, "", ""},
		{"not SLS, box ticked", dmdAmoxicillin, true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Medicine, p.SLS = MedicineFromDMD(tc.p), tc.sls
			errs := p.Check(rxNow)
			if tc.field == "" && len(errs) > 0 || tc.field != "" && !strings.Contains(errs[tc.field], tc.want) {
				t.Errorf("errors %v", errs)
			}
		})
	}
	for _, tc := range []struct {
		p    terminology.Product
		sls  bool
		want bool
	}{{dmdSLS, true, true}, {dmdSLS, false, false}, {dmdAmoxicillin, true, false}} {
		p := base
		p.Medicine, p.SLS = MedicineFromDMD(tc.p), tc.sls
		auth := roundTrip(t, p.Authorisation("pt1", Ref{Reference: "PractitionerRole/r1"}, 1, nil, rxNow))
		issue := roundTrip(t, IssueOf(auth, "MedicationRequest/a1", Ref{Reference: "PractitionerRole/r1"}, rxNow))
		if HasEndorsement(auth, EndorsementSLS) != tc.want || HasEndorsement(issue, EndorsementSLS) != tc.want {
			t.Errorf("%s confirmed %v: authorisation %v issue %v, want %v", tc.p.Name, tc.sls, Endorsements(auth), Endorsements(issue), tc.want)
		}
	}
}

// TestTariffRepeatIssue: the check runs at each issue of a repeat, with
// dm+d as it is then: a product blacklisted since it was authorised is
// refused with the same words; one that joined the SLS since needs
// reauthorising; an endorsed repeat issues, every issue endorsed, and its
// FP10SS item carries SLS.
func TestTariffRepeatIssue(t *testing.T) {
	repeat := func(p terminology.Product, sls bool) fhir.Resource {
		rx := Prescription{Medicine: MedicineFromDMD(p), Dose: "One capsule twice a day", Quantity: "10", Days: "5", Course: "repeat", Issues: "3", Review: "2026-12-01", SLS: sls}
		auth := roundTrip(t, rx.Authorisation("pt1", Ref{Reference: "PractitionerRole/r1"}, 0, nil, rxNow))
		auth["id"] = "a1"
		return auth
	}
	then := dmdBlacklisted
	then.Blacklisted = false
	old := repeat(then, false)
	if CheckIssue(old, rxNow) != "" || CheckTariffIssue(old, MedicineFromDMD(then)) != "" {
		t.Fatal("a repeat of a product on the NHS issues")
	}
	if got := CheckTariffIssue(old, MedicineFromDMD(dmdBlacklisted)); got != NotNHSMessage(MedicineFromDMD(dmdBlacklisted)) {
		t.Errorf("blacklisted since authorised: %q", got)
	}
	unendorsed := repeat(dmdAmoxicillin, false)
	now := dmdAmoxicillin
	now.SelectedList = true
	if got := CheckTariffIssue(unendorsed, MedicineFromDMD(now)); !strings.Contains(got, "reauthorise it, confirming the patient meets the SLS conditions") {
		t.Errorf("SLS since authorised: %q", got)
	}
	endorsed := repeat(dmdSLS, true)
	if got := CheckTariffIssue(endorsed, MedicineFromDMD(dmdSLS)); got != "" {
		t.Errorf("an endorsed SLS repeat: %q", got)
	}
	doctor, _ := PrescriberTypeOf("doctor")
	by := Prescriber{Ref: Ref{Reference: "PractitionerRole/r1", Display: "Dr Asha Patel"}, Type: doctor, CodeSystem: "https://fhir.hl7.org.uk/Id/gmc-number", Code: "7654321"}
	for i := 0; i < 2; i++ {
		issue := roundTrip(t, EPSReady(IssueBy(endorsed, "MedicationRequest/a1", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil))
		f, refusal := FP10Of(issue, fp10Patient8(), testPractice)
		if refusal != "" || strings.Join(f.Items[0].Endorsements, ",") != "SLS" {
			t.Errorf("issue %d: FP10 %+v %q", i+1, f.Items, refusal)
		}
		endorsed = roundTrip(t, Issued(endorsed, rxNow))
	}
}

// TestTariffMarks: the drug list marks a blacklisted and an SLS product.
func TestTariffMarks(t *testing.T) {
	if got := strings.Join(MedicineFromDMD(dmdBlacklisted).Marks(), "|"); got != MarkNotNHS {
		t.Errorf("blacklisted marks %q", got)
	}
	if got := strings.Join(MedicineFromDMD(dmdSLS).Marks(), "|"); got != MarkSLS {
		t.Errorf("SLS marks %q", got)
	}
}
