package main

import (
	"encoding/json"
	"fmt"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// asConditional rewrites a patient bundle as newer Synthea versions write
// them (-conditional): the Practitioners and Organizations it carries
// copies of are left out, and references to them become conditional
// references by identifier (Practitioner?identifier=system|value), which
// the server resolves against those the *Information bundles created.
// The shared set's Synthea (v2.4) copies them into every patient bundle
// instead; the comparison with Medplum used the newer form.
func asConditional(b benchserver.Bundle) (benchserver.Bundle, error) {
	var bundle map[string]any
	if err := json.Unmarshal(b.Body, &bundle); err != nil {
		return b, fmt.Errorf("%s: %w", b.Name, err)
	}
	entries, _ := bundle["entry"].([]any)
	conditional := map[string]string{}
	var kept []any
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		res, _ := entry["resource"].(map[string]any)
		typ, _ := res["resourceType"].(string)
		if typ != "Practitioner" && typ != "Organization" {
			kept = append(kept, e)
			continue
		}
		ids, _ := res["identifier"].([]any)
		id, _ := firstOf(ids).(map[string]any)
		system, _ := id["system"].(string)
		value, _ := id["value"].(string)
		fullURL, _ := entry["fullUrl"].(string)
		if system == "" || value == "" || fullURL == "" {
			return b, fmt.Errorf("%s: a %s without a fullUrl or an identifier", b.Name, typ)
		}
		conditional[fullURL] = typ + "?identifier=" + system + "|" + value
	}
	bundle["entry"] = kept
	fhir.WalkReferences(bundle, func(ref string) (string, bool) {
		to, ok := conditional[ref]
		return to, ok
	})
	body, err := json.Marshal(bundle)
	if err != nil {
		return b, err
	}
	return benchserver.Bundle{Name: b.Name, Body: body, Resources: len(kept)}, nil
}

func firstOf(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}
