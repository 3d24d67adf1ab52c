package clinical

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// PractitionerName is how a Practitioner is named on screens: the
// name's text, or prefix, given and family ("Dr Anita Patel").
func PractitionerName(pr fhir.Resource) string {
	names, _ := pr["name"].([]any)
	for _, n := range names {
		nm, _ := n.(map[string]any)
		if t, _ := nm["text"].(string); t != "" {
			return t
		}
		var parts []string
		for _, k := range []string{"prefix", "given"} {
			l, _ := nm[k].([]any)
			for _, x := range l {
				if s, _ := x.(string); s != "" {
					parts = append(parts, s)
				}
			}
		}
		if f, _ := nm["family"].(string); f != "" {
			parts = append(parts, f)
		}
		return strings.Join(parts, " ")
	}
	return pr.ID()
}
