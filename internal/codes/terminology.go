package codes

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// Terminology is the Finder backed by the terminology service: SNOMED CT
// concepts whose terms match, as ValueSet/$expand ranks them (preferred
// terms first, word prefixes, synonyms, active concepts only), run as the
// user through the service; then, to fill the list, what Local finds (the
// record's codes and the built-in list), so nothing the stand-in offered
// is lost while only the starter set is loaded.
type Terminology struct {
	Service *service.Service
}

// Connected reports whether a licensed SNOMED CT release is loaded (not
// only the starter set).
func (t Terminology) Connected() bool {
	ts, err := t.Service.Terminology()
	if err != nil {
		return false
	}
	rels, err := ts.Store().TermReleases(context.Background())
	if err != nil {
		return false
	}
	for _, r := range rels {
		if r.Source == terminology.SourceSNOMED && !strings.HasPrefix(r.Version, terminology.StarterVersion) {
			return true
		}
	}
	return false
}

// Find returns the concepts matching text, best first.
func (t Terminology) Find(ctx context.Context, text string, limit int) ([]Concept, error) {
	text = strings.TrimSpace(text)
	if len([]rune(text)) < 2 || len(store.TermWords(text)) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []Concept
	p := url.Values{"url": {SNOMED + "?fhir_vs"}, "filter": {text}, "count": {strconv.Itoa(limit)}}
	res, err := t.Service.Expand(ctx, p, nil)
	if err == nil {
		exp, _ := res.Resource["expansion"].(map[string]any)
		cs, _ := exp["contains"].([]any)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			code, _ := m["code"].(string)
			display, _ := m["display"].(string)
			if len(out) < limit && !seen[code] && ValidSCTID(code) {
				seen[code] = true
				out = append(out, Concept{Code: code, Display: display})
			}
		}
	}
	// Without a terminology (no release, or the store keeps none) the
	// stand-in answers alone.
	if len(out) < limit {
		more, lerr := Local{Service: t.Service}.Find(ctx, text, limit)
		if lerr != nil && len(out) == 0 {
			return nil, lerr
		}
		for _, c := range more {
			if len(out) < limit && !seen[c.Code] {
				seen[c.Code] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}
