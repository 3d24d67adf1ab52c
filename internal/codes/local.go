package codes

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Local is the stand-in Finder: SNOMED CT codings of the Conditions and
// Observations the user may read whose text matches, then the built-in
// list. Searches run as the user, through the service, so they reach only
// what the user's role and practice allow (a type their role may not read
// is skipped).
type Local struct {
	Service *service.Service
}

// Connected is false: no terminology service answers yet.
func (Local) Connected() bool { return false }

// Find returns the concepts matching text, record codes first.
func (l Local) Find(ctx context.Context, text string, limit int) ([]Concept, error) {
	text = strings.TrimSpace(text)
	if len([]rune(text)) < 2 {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []Concept
	add := func(c Concept) {
		if len(out) < limit && !seen[c.Code] && ValidSCTID(c.Code) {
			seen[c.Code] = true
			out = append(out, c)
		}
	}
	for _, c := range SearchBuiltin(text, limit) {
		add(c)
	}
	if l.Service != nil {
		for _, typ := range []string{"Condition", "Observation"} {
			params := url.Values{"code:text": {text}, "_count": {"50"}, "_elements": {"code"}, "_total": {"none"}}
			res, err := l.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
			var fe *fhir.Error
			if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, c := range recordConcepts(res.Resource, text) {
				add(c)
			}
		}
	}
	return out, nil
}

// recordConcepts reads the SNOMED codings of a searchset's matches whose
// display matches text.
func recordConcepts(bundle fhir.Resource, text string) []Concept {
	var out []Concept
	entries, _ := bundle["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		var res map[string]any
		switch r := em["resource"].(type) {
		case map[string]any:
			res = r
		case json.RawMessage:
			_ = json.Unmarshal(r, &res)
		}
		code, _ := res["code"].(map[string]any)
		codings, _ := code["coding"].([]any)
		for _, cd := range codings {
			c, _ := cd.(map[string]any)
			system, _ := c["system"].(string)
			id, _ := c["code"].(string)
			display, _ := c["display"].(string)
			if system == SNOMED && id != "" && display != "" && Matches(display, text) {
				out = append(out, Concept{Code: id, Display: display})
			}
		}
	}
	return out
}
