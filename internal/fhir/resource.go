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
		return encode(v)
	}
	rest := make(map[string]any, len(m)-1)
	for k, e := range m {
		if k != "resourceType" {
			rest[k] = e
		}
	}
	body, err := encode(rest)
	if err != nil {
		return nil, err
	}
	head, err := encode(rt)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(head)+16)
	out = append(out, `{"resourceType":`...)
	out = append(out, head...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

func encode(v any) ([]byte, error) {
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := b.buf
	if n := len(out); n > 0 && out[n-1] == '\n' {
		out = out[:n-1]
	}
	return out, nil
}

type jsonBuffer struct{ buf []byte }

func (b *jsonBuffer) Write(p []byte) (int, error) { b.buf = append(b.buf, p...); return len(p), nil }

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
