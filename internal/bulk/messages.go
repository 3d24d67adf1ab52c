package bulk

import (
	"errors"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The importer writes each NDJSON line (and each version of a history
// line) as the one entry of a transaction Bundle, so the service's errors
// speak of "Bundle.entry[0]", a Bundle the file never held. The reasons
// below speak of the line's resource instead: "Patient/p2:
// Patient.gender: ..." rather than "Bundle.entry[0]: ...".

// entryPrefix is how the service names the one entry.
const entryPrefix = "Bundle.entry[0]"

// resourceRef names a resource: Type/id, or Type when it has no id.
func resourceRef(res fhir.Resource) string {
	if id := res.ID(); id != "" {
		return res.Type() + "/" + id
	}
	return res.Type()
}

// lineReason says why an NDJSON line's resource was refused.
func lineReason(res fhir.Resource, err error) string {
	return resourceRef(res) + ": " + entryReason(res.Type(), err)
}

// historyReason says why a history line (one resource's versions) was
// refused; the error names the version and the resource already.
func historyReason(b fhir.Resource, err error) string {
	typ := ""
	entries, _ := b["entry"].([]any)
	if len(entries) > 0 {
		req, _ := entries[0].(map[string]any)["request"].(map[string]any)
		url, _ := req["url"].(string)
		typ, _, _ = strings.Cut(url, "/")
	}
	return entryReason(typ, err)
}

// entryReason is oneLine for the error of a one-entry transaction of a
// resource of type typ: each issue's place is given in the resource.
// Whatever wraps the service's error ("version 2 of Patient/p1: ") is
// kept in front.
func entryReason(typ string, err error) string {
	var fe *fhir.Error
	if !errors.As(err, &fe) || len(fe.Issues) == 0 {
		return oneLine(err)
	}
	context := strings.TrimSuffix(err.Error(), fe.Error())
	parts := make([]string, 0, len(fe.Issues))
	for _, is := range fe.Issues {
		diag := strings.TrimPrefix(is.Diagnostics, entryPrefix+": ")
		var where []string
		for _, ex := range is.Expression {
			if e := resourceExpression(typ, ex); e != "" && !strings.HasPrefix(diag, e) {
				where = append(where, e)
			}
		}
		if len(where) > 0 {
			diag = strings.Join(where, ", ") + ": " + diag
		}
		parts = append(parts, diag)
	}
	return strings.ReplaceAll(context+strings.Join(parts, "; "), "\n", " ")
}

// resourceExpression maps an expression about the one entry onto its
// resource: "Bundle.entry[0].resource.gender" is "Patient.gender". The
// resource as a whole, the entry and its request (which the importer
// made from the resource's type and id) give "": the reason names the
// resource already. Other expressions are kept.
func resourceExpression(typ, ex string) string {
	rest, ok := strings.CutPrefix(ex, entryPrefix)
	if !ok {
		return ex
	}
	if path, ok := strings.CutPrefix(rest, ".resource"); ok && path != "" && typ != "" {
		return typ + path
	}
	return ""
}
