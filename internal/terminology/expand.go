package terminology

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/store"
)

// MaxExpansion bounds an expansion without a filter: a hierarchy of
// thousands of concepts is for searching (filter), not for listing.
const MaxExpansion = 1000

// DefaultFilterCount is the page of a filtered expansion without count.
const DefaultFilterCount = 20

// descIDExtension is UK Core's extension for the description a clinician
// chose ("the exact term that was entered by the clinician").
const descIDExtension = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescId"

// include is one part of a value set: codes of one system, either listed
// or selected by hierarchy, reference set or the whole system. Within one
// include the selections are ANDed (as FHIR's compose filters are).
type include struct {
	System      string
	Codes       []string // listed codes (nil: not restricted to a list)
	Below       []string // descendants-or-self of each (is-a)
	Descendants []string // descendants of each (descendent-of)
	Refset      string   // members of a reference set (in)
	All         bool
}

// valueSet is a value set reduced to what the service can evaluate.
type valueSet struct {
	URL      string
	Includes []include
	Exclude  map[string]bool // system|code
}

// Expand answers ValueSet/$expand. The value set is named by url (an R4
// value set, or an implicit SNOMED CT or dm+d one: `?fhir_vs`,
// `?fhir_vs=isa/<id>`, `?fhir_vs=refset/<id>`, `?fhir_vs=ecl/<ECL>`), or
// given as vs (a ValueSet resource POSTed with its compose). filter is the
// typeahead: each word typed must start a word of the term; preferred
// terms rank first, then synonyms, shorter terms before longer; each
// concept once, shown with the term that matched (and its description id).
// Inactive concepts are left out unless activeOnly=false. count and
// offset page the expansion.
func (s *Service) Expand(ctx context.Context, p url.Values, vs fhir.Resource) (fhir.Resource, error) {
	set, err := s.resolve(ctx, p.Get("url"), vs)
	if err != nil {
		return nil, err
	}
	activeOnly := p.Get("activeOnly") != "false"
	offset, err := intParam(p, "offset", 0)
	if err != nil {
		return nil, err
	}
	filter := strings.TrimSpace(p.Get("filter"))
	count, err := intParam(p, "count", -1)
	if err != nil {
		return nil, err
	}
	if count < 0 {
		count = MaxExpansion
		if filter != "" {
			count = DefaultFilterCount
		}
	}
	count = min(count, MaxExpansion)
	var contains []any
	total := -1
	if filter != "" {
		ms, err := s.search(ctx, set, store.TermWords(filter), !activeOnly, offset, count)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			contains = append(contains, containsEntry(m.Description.System, m.Description.Code, m.Description.Term, descID(m.Description), !m.Active))
		}
	} else {
		all, err := s.enumerate(ctx, set, activeOnly)
		if err != nil {
			return nil, err
		}
		total = len(all)
		for i := offset; i < len(all) && i < offset+count; i++ {
			c := all[i]
			contains = append(contains, containsEntry(c.System, c.Code, c.Display, "", !c.Active))
		}
	}
	params := []any{}
	if filter != "" {
		params = append(params, param("filter", "valueString", filter))
	}
	params = append(params, param("offset", "valueInteger", offset), param("count", "valueInteger", count))
	if !activeOnly {
		params = append(params, param("activeOnly", "valueBoolean", false))
	}
	exp := map[string]any{
		"identifier": "urn:uuid:" + newUUID(),
		"timestamp":  fhir.FormatInstant(time.Now()),
		"offset":     offset,
		"parameter":  params,
	}
	if total >= 0 {
		exp["total"] = total
	}
	if len(contains) > 0 {
		exp["contains"] = contains
	}
	out := fhir.Resource{"resourceType": "ValueSet", "status": "active", "expansion": exp}
	if set.URL != "" {
		out["url"] = set.URL
	}
	return out, nil
}

func containsEntry(system, code, display, descID string, inactive bool) map[string]any {
	e := map[string]any{"system": system, "code": code, "display": display}
	if inactive {
		e["inactive"] = true
	}
	if descID != "" {
		e["extension"] = []any{map[string]any{"url": descIDExtension, "extension": []any{
			map[string]any{"url": "descriptionId", "valueId": descID},
			map[string]any{"url": "descriptionDisplay", "valueString": display},
		}}}
	}
	return e
}

func intParam(p url.Values, name string, def int) (int, error) {
	v := p.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errParam("%s must be a whole number, not %q", name, v)
	}
	return n, nil
}

// resolve turns the request's value set into includes.
func (s *Service) resolve(ctx context.Context, u string, vs fhir.Resource) (valueSet, error) {
	if vs != nil {
		return s.fromCompose(ctx, vs)
	}
	if u == "" {
		return valueSet{}, errParam("$expand needs url or a valueSet")
	}
	for _, system := range []string{SNOMED, DMD} {
		rest, ok := strings.CutPrefix(u, system+"?fhir_vs")
		if !ok {
			continue
		}
		set := valueSet{URL: u}
		if err := s.needSystem(ctx, system); err != nil {
			return valueSet{}, err
		}
		rest = strings.TrimPrefix(rest, "=")
		if r, err := url.QueryUnescape(rest); err == nil {
			rest = r
		}
		switch {
		case rest == "":
			set.Includes = []include{{System: system, All: true}}
		case strings.HasPrefix(rest, "isa/"):
			set.Includes = []include{{System: system, Below: []string{rest[4:]}}}
		case strings.HasPrefix(rest, "refset/"):
			set.Includes = []include{{System: system, Refset: rest[7:]}}
		case strings.HasPrefix(rest, "ecl/"):
			incs, err := parseECL(system, rest[4:])
			if err != nil {
				return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "%v", err)
			}
			set.Includes = incs
		default:
			return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "implicit value set %q is not understood (isa/, refset/ or ecl/)", u)
		}
		return set, nil
	}
	if codes, ok := definitions.ValueSetCodes(u); ok {
		set := valueSet{URL: u}
		bySystem := map[string]int{}
		for _, c := range codes {
			i, ok := bySystem[c.System]
			if !ok {
				i = len(set.Includes)
				bySystem[c.System] = i
				set.Includes = append(set.Includes, include{System: c.System, Codes: []string{}})
			}
			set.Includes[i].Codes = append(set.Includes[i].Codes, c.Code)
		}
		return set, nil
	}
	return valueSet{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "the value set %s is not known", u)
}

// fromCompose reads a ValueSet's compose: includes of a system with
// listed concepts and filters (concept is-a, descendent-of, in; constraint
// = ECL), listed excludes.
func (s *Service) fromCompose(ctx context.Context, vs fhir.Resource) (valueSet, error) {
	set := valueSet{Exclude: map[string]bool{}}
	set.URL, _ = vs["url"].(string)
	compose, _ := vs["compose"].(map[string]any)
	incs, _ := compose["include"].([]any)
	if len(incs) == 0 {
		return valueSet{}, errParam("the ValueSet has no compose.include")
	}
	for i, x := range incs {
		m, _ := x.(map[string]any)
		system, _ := m["system"].(string)
		if system == "" {
			return valueSet{}, errParam("compose.include[%d] has no system (value set references are not supported)", i)
		}
		inc := include{System: system}
		if cs, ok := m["concept"].([]any); ok {
			inc.Codes = []string{}
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				if code, _ := cm["code"].(string); code != "" {
					inc.Codes = append(inc.Codes, code)
				}
			}
		}
		fs, _ := m["filter"].([]any)
		var extra []include
		for j, f := range fs {
			fm, _ := f.(map[string]any)
			prop, _ := fm["property"].(string)
			op, _ := fm["op"].(string)
			value, _ := fm["value"].(string)
			switch {
			case prop == "concept" && op == "is-a":
				inc.Below = append(inc.Below, value)
			case prop == "concept" && op == "descendent-of":
				inc.Descendants = append(inc.Descendants, value)
			case prop == "concept" && op == "in":
				inc.Refset = value
			case prop == "constraint" && op == "=":
				parsed, err := parseECL(system, value)
				if err != nil {
					return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "compose.include[%d].filter[%d]: %v", i, j, err)
				}
				extra = append(extra, parsed...)
			default:
				return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported,
					"compose.include[%d].filter[%d]: %s %s is not supported (concept is-a, descendent-of, in; constraint =)", i, j, prop, op)
			}
		}
		if err := s.needSystem(ctx, system); err != nil {
			return valueSet{}, err
		}
		if len(extra) > 0 {
			if inc.Codes != nil || len(inc.Below)+len(inc.Descendants) > 0 || inc.Refset != "" || len(extra) > 1 {
				return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "compose.include[%d]: an ECL constraint with other filters or a disjunction is not supported", i)
			}
			set.Includes = append(set.Includes, extra[0])
			continue
		}
		if inc.Codes == nil && len(inc.Below)+len(inc.Descendants) == 0 && inc.Refset == "" {
			inc.All = true
		}
		set.Includes = append(set.Includes, inc)
	}
	excs, _ := compose["exclude"].([]any)
	for _, x := range excs {
		m, _ := x.(map[string]any)
		system, _ := m["system"].(string)
		cs, _ := m["concept"].([]any)
		if len(cs) == 0 {
			return valueSet{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "compose.exclude supports listed concepts only")
		}
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			code, _ := cm["code"].(string)
			set.Exclude[system+"|"+code] = true
		}
	}
	return set, nil
}

// search runs the typeahead over each include and joins the answers, in
// include order, each concept once.
func (s *Service) search(ctx context.Context, set valueSet, words []string, inactive bool, offset, count int) ([]store.TermMatch, error) {
	if len(words) == 0 {
		return nil, nil
	}
	var all []store.TermMatch
	seen := map[string]bool{}
	for _, inc := range set.Includes {
		q := store.TermQuery{System: inc.System, Words: words, Inactive: inactive, Within: inc.Codes, Refset: inc.Refset,
			Below: append(slices.Clone(inc.Below), inc.Descendants...), Limit: offset + count + len(inc.Descendants)}
		ms, err := s.st.TermSearch(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			k := m.Description.System + "|" + m.Description.Code
			if seen[k] || set.Exclude[k] || slices.Contains(inc.Descendants, m.Description.Code) {
				continue
			}
			seen[k] = true
			all = append(all, m)
		}
	}
	if offset >= len(all) {
		return nil, nil
	}
	return all[offset:min(len(all), offset+count)], nil
}

var errTooCostly = fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeTooCostly,
	"the value set has more than %d concepts: give a filter to search it", MaxExpansion)

// enumerate lists the value set's concepts (at most MaxExpansion), in
// display order.
func (s *Service) enumerate(ctx context.Context, set valueSet, activeOnly bool) ([]store.TermConcept, error) {
	var out []store.TermConcept
	seen := map[string]bool{}
	for _, inc := range set.Includes {
		var codes []string
		var err error
		switch {
		case inc.All:
			cs, err := s.st.TermCodes(ctx, inc.System, MaxExpansion+1)
			if err != nil {
				return nil, err
			}
			if len(cs) > MaxExpansion {
				return nil, errTooCostly
			}
			for _, c := range cs {
				codes = append(codes, c.Code)
			}
		case len(inc.Below) > 0:
			codes, err = s.st.TermDescendants(ctx, inc.System, inc.Below[0], true, MaxExpansion+1)
		case len(inc.Descendants) > 0:
			codes, err = s.st.TermDescendants(ctx, inc.System, inc.Descendants[0], false, MaxExpansion+1)
		case inc.Refset != "":
			codes, err = s.st.TermRefsetMembers(ctx, inc.Refset, MaxExpansion+1)
		default:
			codes = inc.Codes
		}
		if err != nil {
			return nil, err
		}
		if len(codes) > MaxExpansion {
			return nil, errTooCostly
		}
		for _, code := range codes {
			k := inc.System + "|" + code
			if seen[k] || set.Exclude[k] {
				continue
			}
			ok, err := s.inInclude(ctx, inc, code)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			seen[k] = true
			c, _, err := s.st.TermConcept(ctx, inc.System, code)
			if errors.Is(err, store.ErrNotFound) {
				// A listed code the terminology lacks (an R4 value set's
				// code without a display) is still a member.
				c = store.TermConcept{System: inc.System, Code: code, Active: true, Display: code}
			} else if err != nil {
				return nil, err
			}
			if activeOnly && !c.Active {
				continue
			}
			out = append(out, c)
		}
	}
	if len(out) > MaxExpansion {
		return nil, errTooCostly
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Display) < strings.ToLower(out[j].Display) })
	return out, nil
}

// inInclude checks the include's other conditions (the first hierarchy
// condition chose the candidates).
func (s *Service) inInclude(ctx context.Context, inc include, code string) (bool, error) {
	if inc.Codes != nil && !slices.Contains(inc.Codes, code) {
		return false, nil
	}
	for _, b := range inc.Below {
		ok, err := s.st.TermSubsumes(ctx, inc.System, b, code)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, d := range inc.Descendants {
		if d == code {
			return false, nil
		}
		ok, err := s.st.TermSubsumes(ctx, inc.System, d, code)
		if err != nil || !ok {
			return false, err
		}
	}
	if inc.Refset != "" {
		ms, err := s.st.TermRefsetMembers(ctx, inc.Refset, 0)
		if err != nil || !slices.Contains(ms, code) {
			return false, err
		}
	}
	return true, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = randRead(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Member is one code of an enumerated value set.
type Member struct{ System, Code string }

// Members enumerates the value set at url (as $expand names them),
// inactive concepts included: a search for records coded in a value set
// must find those coded before a concept was retired. More than
// MaxExpansion members is a 422 (too-costly).
func (s *Service) Members(ctx context.Context, u string) ([]Member, error) {
	set, err := s.resolve(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	cs, err := s.enumerate(ctx, set, false)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(cs))
	for i, c := range cs {
		out[i] = Member{c.System, c.Code}
	}
	return out, nil
}
