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
// product's or its VTM's name (a brand, Priadel, by its VTM), and what
// each needs. Clinical content (H-803, H-818).
var monitoring = []struct{ names, text string }{
	{"methotrexate", "Methotrexate needs a full blood count, liver function and renal function at least every 3 months; check the latest results, and that the dose is weekly on one named day"},
	{"lithium", "Lithium needs its serum level every 3 months, and renal and thyroid function every 6 months; check the latest level before issuing"},
	{"warfarin", "Warfarin needs INR monitoring; check the latest INR and the next test date"},
	{"apixaban rivaroxaban edoxaban dabigatran", "A DOAC needs renal function (creatinine clearance) at least yearly, more often when impaired; check the dose against the latest result"},
	{"azathioprine leflunomide sulfasalazine mercaptopurine mycophenolate ciclosporin", "A DMARD needs shared-care blood monitoring (full blood count, liver and renal function); check the latest results and the shared-care agreement"},
	{"amiodarone", "Amiodarone needs thyroid and liver function every 6 months"},
}

// Monitoring implements KnowledgeBase from the stand-in's table.
func (LocalInteractions) Monitoring(m Medicine) []Warning {
	name, moiety := lower(m.Name), lower(m.Moiety)
	for _, e := range monitoring {
		for _, n := range strings.Fields(e.names) {
			if strings.HasPrefix(name, n) || strings.HasPrefix(moiety, n) {
				return []Warning{{Kind: "monitoring", Severity: "moderate", Text: fmt.Sprintf("High-risk drug: %s.", e.text)}}
			}
		}
	}
	return nil
}

// Name implements KnowledgeBase: no knowledge base is configured.
func (LocalInteractions) Name() string { return "" }
