package workspace

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Medicines come from dm+d through the terminology service: the drug
// search (generics first, each product marked when it must not be
// prescribed, cannot be supplied, is not prescribable on the NHS (Drug
// Tariff Part XVIIIA), must be prescribed by brand, is in the Selected
// List Scheme, or is a controlled drug) and the product a prescription names, read with its
// VTM, ingredients and controlled-drug schedule for the safety checks.
// Where the release does not hold a code (only the starter set loaded)
// the built-in list answers, as before.

// medicineTTL is how long a product read from dm+d is kept: dm+d is
// released weekly, and the safety checks of one issue read each of the
// patient's products.
const medicineTTL = 10 * time.Minute

// medicineCache keeps products by code (and codes dm+d does not hold).
type medicineCache struct {
	mu sync.Mutex
	m  map[string]cachedMedicine
}

type cachedMedicine struct {
	med clinical.Medicine
	ok  bool
	at  time.Time
}

// medicine is the product of a dm+d code as the prescribing rules read
// it; false when neither dm+d nor the built-in list holds it.
func (ws *Workspace) medicine(ctx context.Context, code string) (clinical.Medicine, bool, error) {
	now := time.Now()
	ws.medicines.mu.Lock()
	c, hit := ws.medicines.m[code]
	ws.medicines.mu.Unlock()
	if hit && now.Sub(c.at) < medicineTTL {
		return c.med, c.ok, nil
	}
	c = cachedMedicine{at: now}
	p, err := ws.opts.Service.Product(ctx, code)
	switch {
	case err == nil:
		c.med, c.ok = clinical.MedicineFromDMD(p), true
	case errors.Is(err, terminology.ErrNotProduct) || isNotImplemented(err):
		c.med, c.ok = clinical.MedicineByCode(code)
	default:
		return clinical.Medicine{}, false, err
	}
	ws.medicines.mu.Lock()
	if ws.medicines.m == nil || len(ws.medicines.m) > 20000 {
		ws.medicines.m = map[string]cachedMedicine{}
	}
	ws.medicines.m[code] = c
	ws.medicines.mu.Unlock()
	return c.med, c.ok, nil
}

func isNotImplemented(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && fe.Status == 501
}

// knownMedicines resolves the medicines of the patient's records for the
// safety checks (SafetyInput.Known).
func (ws *Workspace) knownMedicines(ctx context.Context, res []fhir.Resource) (map[string]clinical.Medicine, error) {
	out := map[string]clinical.Medicine{}
	for _, code := range clinical.MedicineCodes(res) {
		m, ok, err := ws.medicine(ctx, code)
		if err != nil {
			return nil, err
		}
		if ok {
			out[code] = m
		}
	}
	return out, nil
}

// findMedicines is the drug search: dm+d VMPs then AMPs matching the
// words, marked; then the built-in list's matches not already found.
func (ws *Workspace) findMedicines(ctx context.Context, text string, limit int) ([]codes.Concept, map[string][]pickNote, error) {
	var out []codes.Concept
	notes := map[string][]pickNote{}
	seen := map[string]bool{}
	ps, err := ws.opts.Service.FindProducts(ctx, text, limit)
	if err != nil && !isNotImplemented(err) {
		return nil, nil, err
	}
	for _, p := range ps {
		m := clinical.MedicineFromDMD(p)
		seen[p.Code] = true
		out = append(out, codes.Concept{Code: p.Code, Display: p.Name})
		if n := medicineNotes(m); len(n) > 0 {
			notes[p.Code] = n
		}
	}
	for _, c := range codes.FindIn(clinical.MedicineConcepts(), text, limit) {
		if len(out) < limit && !seen[c.Code] {
			out = append(out, c)
		}
	}
	return out, notes, nil
}

// medicineNotes are a product's marks as the drug list shows them: red
// for what stops a prescription (never to prescribe, unavailable, not on
// the NHS), orange for a caution.
func medicineNotes(m clinical.Medicine) []pickNote {
	var out []pickNote
	for _, mark := range m.Marks() {
		tone := "orange"
		if strings.HasPrefix(mark, "Do not") || strings.HasPrefix(mark, "Unavailable") || mark == clinical.MarkNotNHS {
			tone = "red"
		}
		out = append(out, pickNote{Text: mark, Tone: tone})
	}
	return out
}

// parseMedicine reads the medicine field: the Find button searches dm+d
// (findMedicines); a chosen code must be a product dm+d or the built-in
// list holds, read again here (never taken from the form's words).
func (ws *Workspace) parseMedicine(ctx context.Context, form url.Values, field string) (rxCode, clinical.Medicine, error) {
	c := rxCode{Q: strings.TrimSpace(form.Get(field + "-q"))}
	var med clinical.Medicine
	if code, _, ok := strings.Cut(form.Get(field+"-pick"), "|"); ok && codes.ValidSCTID(code) {
		m, known, err := ws.medicine(ctx, code)
		if err != nil {
			return c, med, err
		}
		if known {
			med, c.Chosen = m, clinical.Concept{Code: m.Code, Display: m.Name}
		}
	}
	if form.Get("action") == "find-"+field && c.Q != "" {
		picks, notes, err := ws.findMedicines(ctx, c.Q, 10)
		if err != nil {
			return c, med, err
		}
		c.Picks, c.Notes, c.Searched = picks, notes, true
		if len(picks) == 1 {
			m, known, err := ws.medicine(ctx, picks[0].Code)
			if err != nil {
				return c, med, err
			}
			if known {
				med, c.Chosen = m, clinical.Concept{Code: m.Code, Display: m.Name}
			}
		}
	}
	if med.Code != "" && len(c.Notes[med.Code]) == 0 {
		// The chosen product keeps its marks on the page sent back.
		if n := medicineNotes(med); len(n) > 0 {
			if c.Notes == nil {
				c.Notes = map[string][]pickNote{}
			}
			c.Notes[med.Code] = n
		}
	}
	return c, med, nil
}

// dmdConnected reports whether a dm+d release (not only the starter set)
// is loaded, for the page to say where medicines come from.
func (ws *Workspace) dmdConnected(ctx context.Context) bool {
	ts, err := ws.opts.Service.Terminology()
	if err != nil {
		return false
	}
	rels, err := ts.Store().TermReleases(ctx)
	if err != nil {
		return false
	}
	for _, r := range rels {
		if r.Source == terminology.SourceDMD && !strings.HasPrefix(r.Version, terminology.StarterVersion) {
			return true
		}
	}
	return false
}
