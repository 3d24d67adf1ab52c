package clinical

import "strings"

// Common doses: the prescribe form offers, as the prescriber types, the
// doses most often written for a product's form (issue 17: "pick a dose
// from common doses for that product or type one"). They are suggestions
// in the words a patient understands, each one that the dose parser
// reads (amount and times a day, and a maximum for "when required"), so
// that a picked dose is always sent as a structured Dosage; the
// prescriber may type any other. Clinical content for the clinical
// safety officer (CLINICAL.md Prescribing 6: "the list of common doses
// is clinical content and needs review"; hazard H-871).
//
// They go by the product's form as its dm+d name ends (tablets,
// capsules, oral solution, inhaler, cream, eye drops, sachets), not by
// product: no licensed source of per-product doses is connected. A
// weekly methotrexate dose must name its day and is never suggested.

// commonDoseForms are the forms, by the words a product's name ends
// with, and their doses.
var commonDoseForms = []struct {
	endings []string
	doses   []string
}{
	{[]string{"tablets", "tablet", "caplets"}, []string{
		"One tablet once a day", "One tablet once a day in the morning", "One tablet once a day at night",
		"One tablet twice a day", "One tablet three times a day", "One tablet four times a day",
		"Two tablets four times a day", "One tablet when required, up to four times a day",
		"Two tablets when required, up to four times a day"}},
	{[]string{"capsules", "capsule"}, []string{
		"One capsule once a day", "One capsule twice a day", "One capsule three times a day",
		"One capsule four times a day", "One capsule when required, up to three times a day"}},
	{[]string{"oral solution", "oral suspension", "syrup", "oral liquid", "elixir", "linctus"}, []string{
		"5ml once a day", "5ml twice a day", "5ml three times a day", "5ml four times a day",
		"10ml twice a day", "10ml three times a day", "5ml when required, up to four times a day"}},
	{[]string{"inhaler", "inhalation powder"}, []string{
		"Two puffs twice a day", "One puff twice a day", "One puff once a day",
		"Two puffs when required, up to four times a day"}},
	{[]string{"cream", "ointment", "gel", "emollient"}, []string{
		"Apply thinly once a day", "Apply thinly twice a day", "Apply as often as needed, up to four times a day"}},
	{[]string{"eye drops"}, []string{
		"One drop into both eyes four times a day", "One drop into both eyes twice a day", "One drop into both eyes once a day at night"}},
	{[]string{"sachets", "sachet"}, []string{
		"One sachet once a day", "One sachet twice a day", "One sachet when required, up to three times a day"}},
}

// CommonDoses are the doses suggested for products with these names (the
// product chosen, or those the drug search found), in order and without
// repeats; none for a product whose form is not in the list or for
// methotrexate.
func CommonDoses(names ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(lower(n))
		if strings.Contains(n, "methotrexate") {
			continue
		}
		for _, f := range commonDoseForms {
			if !endsWithAny(n, f.endings) {
				continue
			}
			for _, d := range f.doses {
				if !seen[d] {
					seen[d] = true
					out = append(out, d)
				}
			}
			break
		}
	}
	return out
}

// endsWithAny reports a name ending with one of the words, or with one
// of them followed by a pack or a brand in brackets ("... tablets (Teva
// UK Ltd)").
func endsWithAny(name string, endings []string) bool {
	if i := strings.LastIndex(name, " ("); i > 0 && strings.HasSuffix(name, ")") {
		name = name[:i]
	}
	for _, e := range endings {
		if strings.HasSuffix(name, " "+e) || name == e {
			return true
		}
	}
	return false
}
