package portal

import (
	"encoding/json"
	"strings"

	"github.com/gpcloud/gpcloud/internal/redaction"
)

// WordsRemoved reports whether anything the record page shows had words
// removed by the practice (package redaction; the service replaced them
// before the page read the entries), so that the page says once what
// the mark means and that the patient may ask about it.
func (p *recordPage) WordsRemoved() bool {
	b, err := json.Marshal([]any{p.Summary, p.Results, p.Consultations, p.Documents})
	return err == nil && strings.Contains(string(b), redaction.Replacement)
}
