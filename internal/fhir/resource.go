package fhir

import (
	"bytes"
	"encoding/json"
	"time"
)

// Version is the FHIR version this server implements.
const Version = "4.0.1"

// Resource is one FHIR resource in decoded JSON form. Numbers are
// json.Number so that decimals keep their precision.
type Resource map[string]any

// Type returns the resourceType, or "" when it is missing or not a string.
func (r Resource) Type() string { s, _ := r["resourceType"].(string); return s }

// ID returns the logical id, or "" when it is missing or not a string.
func (r Resource) ID() string { s, _ := r["id"].(string); return s }

// Meta returns the meta element, creating it when absent.
func (r Resource) Meta() map[string]any {
	m, ok := r["meta"].(map[string]any)
	if !ok {
		m = map[string]any{}
		r["meta"] = m
	}
	return m
}

// SetVersion stamps the server-managed meta.versionId and meta.lastUpdated.
func (r Resource) SetVersion(versionID string, lastUpdated time.Time) {
	m := r.Meta()
	m["versionId"] = versionID
	m["lastUpdated"] = FormatInstant(lastUpdated)
}

// InstantLayout renders a FHIR instant with microsecond precision, the
// precision the stores keep, so that a lastUpdated value handed back as
// _since or _at selects exactly the versions a client expects.
const InstantLayout = "2006-01-02T15:04:05.000000Z07:00"

// FormatInstant renders t as a FHIR instant in UTC.
func FormatInstant(t time.Time) string { return t.UTC().Format(InstantLayout) }

// Marshal encodes v as compact JSON without HTML escaping (FHIR narrative
// contains markup that must round-trip byte for byte). A resource (an
// object with a resourceType) is written with resourceType first, as FHIR
// tools and people reading a body expect; other members follow in name
// order.
func Marshal(v any) ([]byte, error) {
	m, isMap := v.(map[string]any)
	if r, ok := v.(Resource); ok {
		m, isMap = map[string]any(r), true
	}
	rt, isResource := m["resourceType"].(string)
	if !isMap || !isResource {
		return appendJSON(nil, v, false, 0)
	}
	out := append(make([]byte, 0, 512), `{"resourceType":`...)
	out, err := appendMembers(appendString(out, rt, false), m, "resourceType", true, false, 0)
	if err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// Unmarshal decodes trusted JSON (a stored resource) keeping numbers as
// json.Number. Untrusted input goes through package fhirjson instead,
// which enforces size and depth limits.
func Unmarshal(data []byte) (Resource, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var r Resource
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	return r, nil
}
