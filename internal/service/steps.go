package service

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Chains and _has reach resources of other types than the one searched:
// Observation?subject:Patient.name=x matches through Patients, and
// Patient?_has:Observation:subject:code=x through Observations. Each such
// step must see only what a direct search of its type would show the
// caller, or a search becomes an oracle for records out of reach (a
// patient testing another patient's name, prefix by prefix). guardSteps
// checks the caller's scopes for every step's type and gives each step a
// search.Guard: the type's access condition and fine-grained filters.

// guardSteps walks q's filters and guards their chains and _has steps for
// the caller in ctx. A chain target the caller may not search is dropped
// (it then matches nothing through that type); a step left with no type
// the caller may search is refused with 403, as a direct search would be.
func guardSteps(ctx context.Context, q *search.Query) error {
	if _, ok := auth.FromContext(ctx); !ok {
		return nil
	}
	for _, f := range q.Filters {
		if err := guardFilter(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

func guardFilter(ctx context.Context, f *search.Filter) error {
	switch {
	case f.Chain != nil:
		var kept []string
		var refusal error
		guards := map[string]*search.Guard{}
		for _, target := range f.Chain.Targets {
			g, err := guardFor(ctx, target)
			if err != nil {
				refusal = err
				continue
			}
			kept = append(kept, target)
			if g != nil {
				guards[target] = g
			}
		}
		if len(kept) == 0 {
			return refusal
		}
		f.Chain.Targets, f.Chain.Guards = kept, guards
		return guardFilter(ctx, f.Chain.Next)
	case f.Has != nil:
		g, err := guardFor(ctx, f.Has.Type)
		if err != nil {
			return err
		}
		f.Has.Guard = g
		return guardFilter(ctx, f.Has.Next)
	}
	return nil
}

// guardFor is what a direct search of typ applies for the caller: nil
// when they reach every record of it, a 403 when their scopes do not
// allow searching it at all.
func guardFor(ctx context.Context, typ string) (*search.Guard, error) {
	reach, err := allow(ctx, typ, auth.Search)
	if err != nil {
		return nil, fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "this search goes through %s records, which the access token's scopes do not allow you to search", typ)
	}
	if reach == nil {
		return nil, nil
	}
	q := &search.Query{Types: []string{typ}}
	if err := restrictSearch(q, reach); err != nil {
		return nil, err
	}
	return &search.Guard{Access: q.Access, Filters: q.Filters}, nil
}

// accessKey describes every access condition of q for the caller in ctx:
// the reach (and fine-grained scopes) for each type the search touches.
// A stored result list serves later pages only under the same key.
func accessKey(ctx context.Context, q *search.Query) string {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ""
	}
	types := map[string]bool{}
	for _, t := range q.Types {
		types[t] = true
	}
	if len(q.Types) == 0 {
		types["*"] = true
	}
	var walk func(f *search.Filter)
	walk = func(f *search.Filter) {
		switch {
		case f.Chain != nil:
			for _, t := range f.Chain.Targets {
				types[t] = true
			}
			walk(f.Chain.Next)
		case f.Has != nil:
			types[f.Has.Type] = true
			walk(f.Has.Next)
		}
	}
	for _, f := range q.Filters {
		walk(f)
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, t := range names {
		r, ok := p.ReachFor(t, auth.Search)
		if !ok {
			fmt.Fprintf(&b, "%s:none;", t)
			continue
		}
		patients := slices.Clone(r.Patients)
		slices.Sort(patients)
		fmt.Fprintf(&b, "%s:all=%t,patients=%s,practice=%s", t, r.All, strings.Join(patients, ","), r.Practice)
		for _, rs := range r.Restrictions {
			b.WriteString(",only=" + rs.Encode())
		}
		b.WriteString(";")
	}
	return b.String()
}
