package terminology

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// ValidateCode answers ValueSet/$validate-code (and, without url, whether
// a code is in a code system): result, a message saying why not, and the
// concept's preferred display. A display given that is none of the
// concept's terms fails it (a term copied against the wrong code is the
// hazard this catches); an inactive concept is valid with a message, so
// that a record coded years ago can still be read and re-saved.
func (s *Service) ValidateCode(ctx context.Context, p url.Values, vs fhir.Resource) (fhir.Resource, error) {
	system, code, disp := p.Get("system"), p.Get("code"), p.Get("display")
	if c := p.Get("coding"); c != "" && code == "" {
		system, code = splitCoding(c)
	}
	if code == "" {
		return nil, errParam("$validate-code needs code (with system) or coding")
	}
	result := func(ok bool, msg, display string) fhir.Resource {
		ps := []any{param("result", "valueBoolean", ok)}
		if msg != "" {
			ps = append(ps, param("message", "valueString", msg))
		}
		if display != "" {
			ps = append(ps, param("display", "valueString", display))
		}
		return fhir.Resource{"resourceType": "Parameters", "parameter": ps}
	}
	var set *valueSet
	if p.Get("url") != "" || vs != nil {
		v, err := s.resolve(ctx, p.Get("url"), vs)
		if err != nil {
			return nil, err
		}
		set = &v
		if system == "" && len(v.Includes) == 1 {
			system = v.Includes[0].System
		}
	}
	if system == "" {
		return nil, errParam("$validate-code needs the code's system")
	}
	known, err := s.knownSystem(ctx, system)
	if err != nil {
		return nil, err
	}
	c, ds, err := s.st.TermConcept(ctx, system, code)
	switch {
	case errors.Is(err, store.ErrNotFound) && known:
		return result(false, fmt.Sprintf("the code %q is not in %s", code, systemName(system)), ""), nil
	case errors.Is(err, store.ErrNotFound):
		c = store.TermConcept{System: system, Code: code, Active: true}
	case err != nil:
		return nil, err
	}
	if set != nil {
		in := false
		for _, inc := range set.Includes {
			if inc.System != system || set.Exclude[system+"|"+code] {
				continue
			}
			ok := true
			if inc.All {
				ok = known
			} else if ok, err = s.inInclude(ctx, inc, code); err != nil {
				return nil, err
			}
			if ok {
				in = true
				break
			}
		}
		if !in {
			return result(false, fmt.Sprintf("the code %s|%s is not in the value set %s", system, code, set.URL), display(c, ds)), nil
		}
	} else if !known {
		return nil, fhir.Errorf(404, fhir.CodeNotFound, "the code system %s is not loaded", system)
	}
	if disp != "" && len(ds) > 0 {
		match := false
		for _, d := range ds {
			if d.Active && strings.EqualFold(strings.TrimSpace(d.Term), strings.TrimSpace(disp)) {
				match = true
			}
		}
		if !match {
			return result(false, fmt.Sprintf("%q is not a term of %s|%s (%s)", disp, system, code, display(c, ds)), display(c, ds)), nil
		}
	}
	msg := ""
	if !c.Active {
		msg = fmt.Sprintf("the concept %s is inactive", code)
		if as, err := s.st.TermAssociations(ctx, system, code); err == nil && len(as) > 0 {
			msg += "; replaced by " + as[0].Target
		}
	}
	return result(true, msg, display(c, ds)), nil
}
