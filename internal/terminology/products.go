package terminology

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Product is a dm+d medicinal product as prescribing reads it: a VMP (a
// generic, "Amoxicillin 500mg capsules") or an AMP (a brand or supplier's
// product), with what the safety checks and the controlled-drug rules
// need from dm+d. An AMP carries its VMP's VTM, ingredients, form, unit
// and controlled-drug category (dm+d records them on the VMP).
type Product struct {
	Code, Name string
	Kind       string // VMP or AMP
	Active     bool
	// VMP is an AMP's VMP ("" for a VMP); VTM and VTMName its therapeutic
	// moiety ("" for a VMP without one, such as a device).
	VMP, VTM, VTMName string
	// Ingredients are the SNOMED CT substances of the VMP's ingredients.
	Ingredients []string
	// Form is the dose form (Tablet), Unit the unit dose's unit (tablet).
	Form, Unit string
	// ControlledDrug is dm+d's controlled-drug category ("Schedule 2
	// (CD)", "No Controlled Drug Status"), "" when not given.
	ControlledDrug string
	// PrescribingStatus is the VMP's ("Valid as a prescribable product",
	// "Not recommended to prescribe as a VMP..."), NonAvailability the
	// VMP's ("Actual Products not Available") and AvailabilityRestriction
	// the AMP's ("None", "Discontinued", "Hospital only"...).
	PrescribingStatus, NonAvailability, AvailabilityRestriction string
	// NurseFormulary: a pack of the product is on the Nurse Prescribers'
	// Formulary (dm+d's NURSE_F flag).
	NurseFormulary bool
	// Blacklisted: dm+d's Drug Tariff Part XVIIIA flag, not prescribable
	// on the NHS; SelectedList: Part XVIIIB, the Selected List Scheme
	// (SLS). Packs carry them; an AMP and a VMP as dmd_tariff.go
	// aggregates them.
	Blacklisted, SelectedList bool
	// PersonallyAdministered: a pack of the product is marked PADM in
	// dm+d (personally administered by the practice and claimed on the
	// FP34D appendix).
	PersonallyAdministered bool
}

// productProps are the fields of a dm+d concept's Props that Product reads.
type productProps struct {
	PrescribingStatus       string `json:"prescribingStatus"`
	NonAvailability         string `json:"nonAvailability"`
	UnitDoseUnit            string `json:"unitDoseUnit"`
	Form                    string `json:"form"`
	ControlledDrugCategory  string `json:"controlledDrugCategory"`
	AvailabilityRestriction string `json:"availabilityRestriction"`
	NurseFormulary          bool   `json:"nurseFormulary"`
	Blacklisted             bool   `json:"schedule1NotPrescribable"`
	SelectedList            bool   `json:"schedule2SelectedList"`
	PersonallyAdministered  bool   `json:"personallyAdministered"`
}

func (p *Product) setProps(raw string) {
	if raw == "" {
		return
	}
	var pp productProps
	if json.Unmarshal([]byte(raw), &pp) != nil {
		return
	}
	p.NurseFormulary = p.NurseFormulary || pp.NurseFormulary
	p.Blacklisted, p.SelectedList = pp.Blacklisted, pp.SelectedList
	p.PersonallyAdministered = p.PersonallyAdministered || pp.PersonallyAdministered
	if p.Kind == "AMP" {
		p.AvailabilityRestriction = pp.AvailabilityRestriction
		return
	}
	p.PrescribingStatus, p.NonAvailability, p.Unit, p.Form, p.ControlledDrug =
		pp.PrescribingStatus, pp.NonAvailability, pp.UnitDoseUnit, pp.Form, pp.ControlledDrugCategory
}

// FindProducts is the drug typeahead: dm+d VMPs and AMPs whose names
// have a word starting with each word of text, generics (VMPs) first,
// then brands, each group in the typeahead's rank; active products only.
// Each is given with its own prescribing status and availability (read
// with the match, not product by product); the VTM and ingredients are
// Product's to read once a product is chosen.
func (s *Service) FindProducts(ctx context.Context, text string, limit int) ([]Product, error) {
	words := store.TermWords(text)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	// Twice the page, so that the generics of a name whose brands rank
	// first by length still lead the list.
	ms, err := s.productMatches(ctx, words, 2*limit)
	if err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(ms))
	for _, m := range ms {
		p := Product{Code: m.Description.Code, Name: m.Preferred, Kind: m.Kind, Active: m.Active}
		if p.Name == "" {
			p.Name = m.Description.Term
		}
		p.setProps(m.Props)
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Product) int { return kindRank(a.Kind) - kindRank(b.Kind) })
	return out[:min(len(out), limit)], nil
}

// productMatches runs the typeahead over VMPs and AMPs. Strength words
// ("10mg", the "2" and "5mg" of "2.5mg") start a word of most product
// names, so a search led by them reads much of the index: where the
// words typed have a name too ("gli 10mg"), the name alone is searched
// first, wider (ten pages, then a hundred), and its matches kept when
// their term has the strengths; this is the whole answer when the name's
// matches were all read or enough of them kept, else the full search
// runs.
func (s *Service) productMatches(ctx context.Context, words []string, limit int) ([]store.TermMatch, error) {
	kinds := []string{"VMP", "AMP"}
	var names, strengths []string
	for _, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			strengths = append(strengths, w)
		} else {
			names = append(names, w)
		}
	}
	if len(names) > 0 && len(strengths) > 0 {
		for _, wide := range []int{10 * limit, 100 * limit} {
			ms, err := s.st.TermSearch(ctx, store.TermQuery{System: DMD, Words: names, Kinds: kinds, Limit: wide})
			if err != nil {
				return nil, err
			}
			var kept []store.TermMatch
			for _, m := range ms {
				if hasWordPrefixes(store.TermWords(m.Description.Term), strengths) {
					kept = append(kept, m)
				}
			}
			if len(ms) < wide || len(kept) >= limit {
				return kept[:min(len(kept), limit)], nil
			}
		}
	}
	return s.st.TermSearch(ctx, store.TermQuery{System: DMD, Words: words, Kinds: kinds, Limit: limit})
}

// hasWordPrefixes reports whether each of want starts one of words.
func hasWordPrefixes(words, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(words, func(x string) bool { return strings.HasPrefix(x, w) }) {
			return false
		}
	}
	return true
}

func kindRank(k string) int {
	if k == "VMP" {
		return 0
	}
	return 1
}

// ErrNotProduct is Product's answer for a code that is not a dm+d VMP or
// AMP of the current release.
var ErrNotProduct = errors.New("terminology: not a dm+d VMP or AMP")

// Product reads a dm+d VMP or AMP with its VTM, ingredients, form, unit
// and controlled-drug category (an AMP's from its VMP).
func (s *Service) Product(ctx context.Context, code string) (Product, error) {
	c, _, err := s.st.TermConcept(ctx, DMD, code)
	if errors.Is(err, store.ErrNotFound) {
		return Product{}, ErrNotProduct
	}
	if err != nil {
		return Product{}, err
	}
	if c.Kind != "VMP" && c.Kind != "AMP" {
		return Product{}, ErrNotProduct
	}
	p := Product{Code: c.Code, Name: c.Display, Kind: c.Kind, Active: c.Active}
	p.setProps(c.Props)
	rels, err := s.st.TermRelationships(ctx, DMD, code)
	if err != nil {
		return Product{}, err
	}
	parent := ""
	for _, r := range rels {
		switch r.Type {
		case store.IsA:
			parent = r.Dest
		case "ingredient":
			p.Ingredients = append(p.Ingredients, r.Dest)
		}
	}
	if c.Kind == "AMP" {
		if parent == "" {
			return p, nil
		}
		vmp, err := s.Product(ctx, parent)
		if err != nil {
			return Product{}, err
		}
		vmp.Code, vmp.Name, vmp.Kind, vmp.Active, vmp.VMP, vmp.AvailabilityRestriction = p.Code, p.Name, "AMP", p.Active, parent, p.AvailabilityRestriction
		vmp.NurseFormulary, vmp.Blacklisted, vmp.SelectedList, vmp.PersonallyAdministered = p.NurseFormulary, p.Blacklisted, p.SelectedList, p.PersonallyAdministered
		return vmp, nil
	}
	if parent != "" {
		p.VTM = parent
		if vtm, _, err := s.st.TermConcept(ctx, DMD, parent); err == nil {
			p.VTMName = vtm.Display
		} else if !errors.Is(err, store.ErrNotFound) {
			return Product{}, err
		}
	}
	return p, nil
}
