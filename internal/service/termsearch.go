package service

import (
	"context"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// emptyValueSet is a token no resource holds: an :in over a value set
// without members matches nothing (and a :not-in, everything).
var emptyValueSet = search.Value{System: "urn:gpcloud:empty-value-set", HasSystem: true, Code: "-"}

// resolveTerminology rewrites the token filters that need the
// terminology before the store runs the query: :in becomes the value
// set's codes, :not-in becomes :not of them; a :below or :above without a
// system is taken to be SNOMED CT's (the store walks the hierarchy). It
// goes into chains and _has, whose guards it leaves as they are.
func (s *Service) resolveTerminology(ctx context.Context, filters []*search.Filter) error {
	for _, f := range filters {
		if f.Chain != nil && f.Chain.Next != nil {
			if err := s.resolveTerminology(ctx, []*search.Filter{f.Chain.Next}); err != nil {
				return err
			}
		}
		if f.Has != nil && f.Has.Next != nil {
			if err := s.resolveTerminology(ctx, []*search.Filter{f.Has.Next}); err != nil {
				return err
			}
		}
		if f.Param == nil || f.Param.Type != "token" {
			continue
		}
		switch f.Modifier {
		case "below", "above":
			for i := range f.Values {
				if !f.Values[i].HasSystem {
					f.Values[i].System, f.Values[i].HasSystem = terminology.SNOMED, true
				}
			}
		case "in", "not-in":
			t, err := s.Terminology()
			if err != nil {
				return err
			}
			var vals []search.Value
			for _, v := range f.Values {
				ms, err := t.Members(ctx, v.Text)
				if err != nil {
					return err
				}
				for _, m := range ms {
					vals = append(vals, search.Value{System: m.System, HasSystem: m.System != "", Code: m.Code})
				}
			}
			if len(vals) == 0 {
				vals = []search.Value{emptyValueSet}
			}
			f.Values = vals
			if f.Modifier == "in" {
				f.Modifier = ""
			} else {
				f.Modifier = "not"
			}
		}
	}
	return nil
}
