package codes

import "testing"

func TestDomains(t *testing.T) {
	for name, list := range map[string][]Concept{"Allergens": Allergens, "Vaccines": Vaccines} {
		for _, c := range list {
			if !ValidSCTID(c.Code) || c.Display == "" {
				t.Errorf("%s: %v is not a well-formed concept", name, c)
			}
		}
	}
	if got := FindIn(Vaccines, "influ", 10); len(got) != 2 {
		t.Errorf("vaccines for influ: %v", got)
	}
	if got := FindIn(Vaccines, "asthma", 10); len(got) != 0 {
		t.Errorf("vaccines for asthma: %v", got)
	}
	if got := FindIn(Allergens, "p", 10); got != nil {
		t.Errorf("one letter: %v", got)
	}
}
