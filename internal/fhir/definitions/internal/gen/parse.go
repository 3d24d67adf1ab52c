package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The subset of the definition resources the generator reads.
type (
	bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	structureDefinition struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		URL          string `json:"url"`
		Kind         string `json:"kind"`
		Abstract     bool   `json:"abstract"`
		Derivation   string `json:"derivation"`
		FHIRVersion  string `json:"fhirVersion"`
		BaseDef      string `json:"baseDefinition"`
		Snapshot     struct {
			Element []elementDefinition `json:"element"`
		} `json:"snapshot"`
	}
	elementDefinition struct {
		Path             string `json:"path"`
		Min              int    `json:"min"`
		Max              string `json:"max"`
		ContentReference string `json:"contentReference"`
		IsSummary        bool   `json:"isSummary"`
		IsModifier       bool   `json:"isModifier"`
		Type             []struct {
			Code          string      `json:"code"`
			TargetProfile []string    `json:"targetProfile"`
			Extension     []extension `json:"extension"`
		} `json:"type"`
		Binding *struct {
			Strength string `json:"strength"`
			ValueSet string `json:"valueSet"`
		} `json:"binding"`
		Constraint []struct {
			Key        string `json:"key"`
			Severity   string `json:"severity"`
			Human      string `json:"human"`
			Expression string `json:"expression"`
			Source     string `json:"source"`
		} `json:"constraint"`
	}
	extension struct {
		URL         string `json:"url"`
		ValueString string `json:"valueString"`
		ValueURL    string `json:"valueUrl"`
	}
	searchParameter struct {
		URL        string   `json:"url"`
		Code       string   `json:"code"`
		Base       []string `json:"base"`
		Type       string   `json:"type"`
		Expression string   `json:"expression"`
		Target     []string `json:"target"`
		Component  []struct {
			Definition string `json:"definition"`
			Expression string `json:"expression"`
		} `json:"component"`
	}
	compartmentDefinition struct {
		Resource []struct {
			Code  string   `json:"code"`
			Param []string `json:"param"`
		} `json:"resource"`
	}
)

const (
	extFHIRType = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
	extRegex    = "http://hl7.org/fhir/StructureDefinition/regex"
)

// sources is everything parsed, filtered to R4.
type sources struct {
	types        []structureDefinition // sorted by id
	searchParams []searchParameter     // sorted by url
	valueSets    map[string][]code     // required-binding value sets, expanded
	unexpanded   []string              // required-binding value sets that cannot be enumerated
	compartment  map[string][]string   // resource type → patient compartment params
}

func parseSources(files map[string][]byte) (*sources, error) {
	src := &sources{}
	for _, name := range []string{"profiles-types.json", "profiles-resources.json"} {
		sds, err := readStructureDefinitions(files, name)
		if err != nil {
			return nil, err
		}
		src.types = append(src.types, sds...)
	}
	sort.Slice(src.types, func(i, j int) bool { return src.types[i].ID < src.types[j].ID })
	known := map[string]bool{}
	for _, t := range src.types {
		known[t.ID] = true
	}

	var sp bundle
	if err := unmarshalFile(files, "search-parameters.json", &sp); err != nil {
		return nil, err
	}
	for _, e := range sp.Entry {
		var p searchParameter
		if err := json.Unmarshal(e.Resource, &p); err != nil {
			return nil, fmt.Errorf("search-parameters.json: %w", err)
		}
		var base []string
		for _, b := range p.Base {
			if known[b] {
				base = append(base, b)
			}
		}
		if len(base) == 0 {
			continue
		}
		p.Base = base
		p.Target = keepKnown(p.Target, known)
		src.searchParams = append(src.searchParams, p)
	}
	sort.Slice(src.searchParams, func(i, j int) bool { return src.searchParams[i].URL < src.searchParams[j].URL })

	var cd compartmentDefinition
	if err := unmarshalFile(files, "compartmentdefinition-patient.json", &cd); err != nil {
		return nil, err
	}
	src.compartment = map[string][]string{}
	for _, r := range cd.Resource {
		if known[r.Code] && len(r.Param) > 0 {
			src.compartment[r.Code] = r.Param
		}
	}

	vs, err := newValueSetIndex(files)
	if err != nil {
		return nil, err
	}
	src.valueSets = map[string][]code{}
	for _, url := range requiredBindings(src.types) {
		codes, ok := vs.expand(url, 0)
		if !ok {
			src.unexpanded = append(src.unexpanded, url)
			continue
		}
		src.valueSets[url] = codes
	}
	return src, nil
}

// readStructureDefinitions returns the R4 type definitions in a bundle:
// specializations (and the abstract roots) whose fhirVersion is 4.0.1.
func readStructureDefinitions(files map[string][]byte, name string) ([]structureDefinition, error) {
	var b bundle
	if err := unmarshalFile(files, name, &b); err != nil {
		return nil, err
	}
	var out []structureDefinition
	for _, e := range b.Entry {
		var sd structureDefinition
		if err := json.Unmarshal(e.Resource, &sd); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if sd.ResourceType != "StructureDefinition" || sd.FHIRVersion != "4.0.1" || sd.Derivation == "constraint" || sd.Kind == "logical" {
			continue
		}
		out = append(out, sd)
	}
	return out, nil
}

func unmarshalFile(files map[string][]byte, name string, v any) error {
	data, ok := files[name]
	if !ok {
		return fmt.Errorf("%s%s missing from the package", fhirDir, name)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func keepKnown(list []string, known map[string]bool) []string {
	var out []string
	for _, s := range list {
		if known[s] {
			out = append(out, s)
		}
	}
	return out
}

// requiredBindings lists, sorted, the value sets of required bindings.
func requiredBindings(types []structureDefinition) []string {
	set := map[string]bool{}
	for _, t := range types {
		for _, e := range t.Snapshot.Element {
			if e.Binding != nil && e.Binding.Strength == "required" && e.Binding.ValueSet != "" {
				set[canonicalURL(e.Binding.ValueSet)] = true
			}
		}
	}
	return sortedKeys(set)
}

// canonicalURL drops a |version suffix.
func canonicalURL(u string) string {
	if i := strings.IndexByte(u, '|'); i >= 0 {
		return u[:i]
	}
	return u
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
