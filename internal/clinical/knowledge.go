package clinical

import (
	"fmt"
	"strings"
)

// KnowledgeBase is a licensed drug knowledge base (CLINICAL.md
// Prescribing 1): beyond interactions, the monitoring a high-risk drug
// needs (methotrexate, lithium, warfarin and DOACs, DMARDs), tiered by
// severity like every warning. dm+d carries none of this. Name says which
// knowledge base and release answers, "" when none is configured: the
// stand-in (LocalInteractions) answers from short local tables, and the
// prescribing pages say so (KnowledgeNotice).
type KnowledgeBase interface {
	Interactions
	Monitoring(m Medicine) []Warning
	Name() string
}

// KnowledgeNotice is what the prescribing pages say while no drug
// knowledge base is configured.
const KnowledgeNotice = "No drug knowledge base is configured. Interactions, contraindications, pregnancy cautions and the monitoring of high-risk drugs are checked against a short local table only: not connected to a national drug database. Check them in the BNF."

// monitoring is the stand-in's high-risk drugs, by the start of the
// product's or its VTM's name (a brand, Priadel, by its VTM), what each
// needs, and the tests whose latest results the warning reads
// (MonitoringTests). Clinical content (H-803, H-818, H-870).
var monitoring = []struct {
	names, text string
	tests       []MonitoringTest
}{
	{"methotrexate", "Methotrexate needs a full blood count, liver function and renal function at least every 3 months; check the latest results, and that the dose is weekly on one named day",
		[]MonitoringTest{testFBC(12), testALT(12), testRenal(12)}},
	{"lithium", "Lithium needs its serum level every 3 months, and renal and thyroid function every 6 months; check the latest level before issuing",
		[]MonitoringTest{{Name: "lithium level", LOINC: []string{"14334-7", "3719-2"}, Terms: []string{"lithium"}, Weeks: 13}, testRenal(26), testTSH(26)}},
	{"warfarin", "Warfarin needs INR monitoring; check the latest INR and the next test date",
		[]MonitoringTest{{Name: "INR", LOINC: []string{"6301-6", "34714-6", "46418-0"}, Terms: []string{"inr", "international normalised ratio", "international normalized ratio"}, Weeks: 12}}},
	{"apixaban rivaroxaban edoxaban dabigatran", "A DOAC needs renal function (creatinine clearance) at least yearly, more often when impaired; check the dose against the latest result",
		[]MonitoringTest{testRenal(52)}},
	{"azathioprine leflunomide sulfasalazine mercaptopurine mycophenolate ciclosporin", "A DMARD needs shared-care blood monitoring (full blood count, liver and renal function); check the latest results and the shared-care agreement",
		[]MonitoringTest{testFBC(12), testALT(12), testRenal(12)}},
	{"amiodarone", "Amiodarone needs thyroid and liver function every 6 months",
		[]MonitoringTest{testTSH(26), testALT(26)}},
}

// The tests several drugs share, each by LOINC and by the words of a
// result's name (a UK laboratory's result may carry a local code or a
// SNOMED CT observable only: its name still says what it is).
func testFBC(weeks int) MonitoringTest {
	return MonitoringTest{Name: "full blood count (haemoglobin, white cells)", LOINC: []string{"718-7", "6690-2", "26464-8", "777-3"},
		Terms: []string{"haemoglobin", "hemoglobin", "white cell count", "white blood cell count", "wbc", "full blood count"}, Weeks: weeks}
}

func testALT(weeks int) MonitoringTest {
	return MonitoringTest{Name: "liver function (ALT)", LOINC: []string{"1742-6", "1744-2", "1920-8"},
		Terms: []string{"alt", "alanine aminotransferase", "alanine transaminase", "ast", "liver function"}, Weeks: weeks}
}

func testRenal(weeks int) MonitoringTest {
	return MonitoringTest{Name: "renal function (creatinine, eGFR)", LOINC: []string{"2160-0", "14682-9", "33914-3", "62238-1", "98979-8", "2164-2"},
		Terms: []string{"creatinine", "egfr", "estimated glomerular filtration rate", "creatinine clearance"}, Weeks: weeks}
}

func testTSH(weeks int) MonitoringTest {
	return MonitoringTest{Name: "thyroid function (TSH)", LOINC: []string{"3016-3", "11580-8", "3024-7"},
		Terms: []string{"tsh", "thyroid stimulating hormone", "thyroid-stimulating hormone", "thyroid function", "free t4"}, Weeks: weeks}
}

// monitoringEntry is the stand-in's row for a medicine, nil when it is
// not a high-risk drug the table knows.
func monitoringEntry(m Medicine) *struct {
	names, text string
	tests       []MonitoringTest
} {
	name, moiety := lower(m.Name), lower(m.Moiety)
	for i, e := range monitoring {
		for _, n := range strings.Fields(e.names) {
			if strings.HasPrefix(name, n) || strings.HasPrefix(moiety, n) {
				return &monitoring[i]
			}
		}
	}
	return nil
}

// Monitoring implements KnowledgeBase from the stand-in's table.
func (LocalInteractions) Monitoring(m Medicine) []Warning {
	if e := monitoringEntry(m); e != nil {
		return []Warning{{Kind: "monitoring", Severity: "moderate", Text: fmt.Sprintf("High-risk drug: %s.", e.text)}}
	}
	return nil
}

// MonitoringTests implements MonitoringTester from the stand-in's table.
func (LocalInteractions) MonitoringTests(m Medicine) []MonitoringTest {
	if e := monitoringEntry(m); e != nil {
		return e.tests
	}
	return nil
}

// Name implements KnowledgeBase: no knowledge base is configured.
func (LocalInteractions) Name() string { return "" }
