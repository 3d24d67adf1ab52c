package main

import (
	"encoding/json"
	"fmt"
	"sort"
)

// code is one member of an expanded value set.
type code struct{ System, Code string }

type (
	codeSystem struct {
		URL     string    `json:"url"`
		Content string    `json:"content"`
		Concept []concept `json:"concept"`
	}
	concept struct {
		Code    string    `json:"code"`
		Concept []concept `json:"concept"`
	}
	valueSet struct {
		URL     string `json:"url"`
		Compose *struct {
			Include []include `json:"include"`
			Exclude []include `json:"exclude"`
		} `json:"compose"`
		Expansion *struct {
			Contains []struct {
				System string `json:"system"`
				Code   string `json:"code"`
			} `json:"contains"`
		} `json:"expansion"`
	}
	include struct {
		System  string `json:"system"`
		Concept []struct {
			Code string `json:"code"`
		} `json:"concept"`
		Filter []struct {
			Property string `json:"property"`
			Op       string `json:"op"`
			Value    string `json:"value"`
		} `json:"filter"`
		ValueSet []string `json:"valueSet"`
	}
)

// valueSetIndex expands value sets from the CodeSystems and ValueSets the
// package ships. Only what can be enumerated exactly is expanded: a value
// set drawing on an external code system (SNOMED CT, UCUM, BCP-47...) or
// using a filter other than is-a/descendent-of cannot be, and its binding
// is then not checked.
type valueSetIndex struct {
	codeSystems map[string]codeSystem
	valueSets   map[string]valueSet
}

func newValueSetIndex(files map[string][]byte) (*valueSetIndex, error) {
	idx := &valueSetIndex{codeSystems: map[string]codeSystem{}, valueSets: map[string]valueSet{}}
	for _, name := range []string{"valuesets.json", "v3-codesystems.json", "v2-tables.json"} {
		var b bundle
		if err := unmarshalFile(files, name, &b); err != nil {
			return nil, err
		}
		for _, e := range b.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			switch head.ResourceType {
			case "CodeSystem":
				var cs codeSystem
				if err := json.Unmarshal(e.Resource, &cs); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				if _, dup := idx.codeSystems[cs.URL]; !dup {
					idx.codeSystems[cs.URL] = cs
				}
			case "ValueSet":
				var vs valueSet
				if err := json.Unmarshal(e.Resource, &vs); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				if _, dup := idx.valueSets[vs.URL]; !dup {
					idx.valueSets[vs.URL] = vs
				}
			}
		}
	}
	return idx, nil
}

// expand returns the sorted members of a value set, or false when it
// cannot be enumerated from the package alone.
func (idx *valueSetIndex) expand(url string, depth int) ([]code, bool) {
	vs, ok := idx.valueSets[canonicalURL(url)]
	if !ok || depth > 10 {
		return nil, false
	}
	set := map[code]bool{}
	if vs.Compose == nil {
		if vs.Expansion == nil {
			return nil, false
		}
		for _, c := range vs.Expansion.Contains {
			set[code{c.System, c.Code}] = true
		}
		return sortedCodes(set), true
	}
	for _, inc := range vs.Compose.Include {
		codes, ok := idx.includeCodes(inc, depth)
		if !ok {
			return nil, false
		}
		for _, c := range codes {
			set[c] = true
		}
	}
	for _, exc := range vs.Compose.Exclude {
		codes, ok := idx.includeCodes(exc, depth)
		if !ok {
			return nil, false
		}
		for _, c := range codes {
			delete(set, c)
		}
	}
	return sortedCodes(set), true
}

func (idx *valueSetIndex) includeCodes(inc include, depth int) ([]code, bool) {
	var fromSystem map[code]bool
	if inc.System != "" {
		cs, ok := idx.codeSystems[inc.System]
		switch {
		case len(inc.Concept) > 0:
			fromSystem = map[code]bool{}
			for _, c := range inc.Concept {
				fromSystem[code{inc.System, c.Code}] = true
			}
		case !ok || cs.Content != "complete":
			return nil, false
		default:
			roots := cs.Concept
			for _, f := range inc.Filter {
				if f.Property != "concept" || (f.Op != "is-a" && f.Op != "descendent-of") {
					return nil, false
				}
				sub := findConcept(roots, f.Value)
				if sub == nil {
					return nil, false
				}
				if f.Op == "is-a" {
					roots = []concept{*sub}
				} else {
					roots = sub.Concept
				}
			}
			fromSystem = map[code]bool{}
			flatten(inc.System, roots, fromSystem)
		}
	}
	for _, ref := range inc.ValueSet {
		codes, ok := idx.expand(ref, depth+1)
		if !ok {
			return nil, false
		}
		other := map[code]bool{}
		for _, c := range codes {
			other[c] = true
		}
		if fromSystem == nil {
			fromSystem = other
			continue
		}
		for c := range fromSystem {
			if !other[c] {
				delete(fromSystem, c)
			}
		}
	}
	return sortedCodes(fromSystem), true
}

func findConcept(list []concept, c string) *concept {
	for i := range list {
		if list[i].Code == c {
			return &list[i]
		}
		if f := findConcept(list[i].Concept, c); f != nil {
			return f
		}
	}
	return nil
}

func flatten(system string, list []concept, into map[code]bool) {
	for _, c := range list {
		into[code{system, c.Code}] = true
		flatten(system, c.Concept, into)
	}
}

func sortedCodes(set map[code]bool) []code {
	out := make([]code, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].System != out[j].System {
			return out[i].System < out[j].System
		}
		return out[i].Code < out[j].Code
	})
	return out
}
