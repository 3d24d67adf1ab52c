package bulk

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Importing the same Bundles twice must leave one copy of each resource.
// A transaction's creates (POST) get a new id from the server each time,
// so a second run would copy everything. Entries whose fullUrl is a
// urn:uuid keep that UUID as their id instead: the importer asks the
// target which of those ids exist already, creates the others under
// their UUID (PUT Type/UUID), and writes nothing for the ones that exist
// (a POST never overwrites: an earlier run's record, or the same resource
// carried by another Bundle, is kept as it is). References to the
// fullUrl become Type/UUID in every entry, so they resolve either way.
// Conditional creates (ifNoneExist) keep their condition, and entries
// without a urn:uuid fullUrl are created as the Bundle says (a second
// run copies them).

// sendOnce sends a transaction or batch Bundle after making its creates
// idempotent; when another worker created one of them meanwhile (409 or
// 412), it looks again and resends.
func (im *Importer) sendOnce(ctx context.Context, b fhir.Resource) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		c := cloneBundle(b)
		var present int
		if present, err = im.createOnce(ctx, c); err != nil {
			return err
		}
		if err = im.sink.Transaction(ctx, c); !lostRace(err) {
			if err == nil && present > 0 {
				im.mu.Lock()
				im.progress.AlreadyPresent += present
				im.mu.Unlock()
			}
			return err
		}
	}
	return err
}

// createOnce rewrites b (a clone) in place as described above, and tells
// how many of its creates were present already.
func (im *Importer) createOnce(ctx context.Context, b fhir.Resource) (int, error) {
	entries, _ := b["entry"].([]any)
	byType := map[string][]string{}
	refs := map[string]string{} // urn:uuid:X -> Type/X
	for _, e := range entries {
		em, _ := e.(map[string]any)
		req, _ := em["request"].(map[string]any)
		res, _ := em["resource"].(map[string]any)
		full, _ := em["fullUrl"].(string)
		id := uuidID(full)
		if res == nil || req == nil || req["method"] != http.MethodPost || req["ifNoneExist"] != nil || id == "" {
			continue
		}
		typ := fhir.Resource(res).Type()
		byType[typ] = append(byType[typ], id)
		refs[full] = typ + "/" + id
	}
	if len(refs) == 0 {
		return 0, nil
	}
	exists := map[string]bool{}
	for typ, ids := range byType {
		found, err := im.sink.Existing(ctx, typ, ids)
		if err != nil {
			return 0, err
		}
		for id := range found {
			exists[typ+"/"+id] = true
		}
	}
	kept := entries[:0]
	present := 0
	for _, e := range entries {
		em, _ := e.(map[string]any)
		full, _ := em["fullUrl"].(string)
		if to, ok := refs[full]; ok {
			if exists[to] {
				present++ // created by an earlier run or another Bundle
				continue
			}
			typ, id, _ := strings.Cut(to, "/")
			res := em["resource"].(map[string]any)
			res["id"] = id
			// Create only: if another worker created it since we looked,
			// the transaction fails with 412 and is sent again.
			em["request"] = map[string]any{"method": http.MethodPut, "url": typ + "/" + id, "ifNoneMatch": "*"}
		}
		if res, ok := em["resource"].(map[string]any); ok {
			fhir.WalkReferences(res, func(ref string) (string, bool) {
				to, ok := refs[ref]
				return to, ok
			})
		}
		kept = append(kept, em)
	}
	b["entry"] = kept
	return present, nil
}

// uuidID is the id a urn:uuid fullUrl gives its resource ("" for another
// fullUrl, or a UUID that is no valid FHIR id).
func uuidID(fullURL string) string {
	u, ok := strings.CutPrefix(fullURL, "urn:uuid:")
	if !ok || len(u) == 0 || len(u) > 64 {
		return ""
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return ""
		}
	}
	return u
}

// lostRace reports a write that lost a race for a resource: a conflict
// (409) or a create-only update that found it created (412 duplicate).
func lostRace(err error) bool {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return false
	}
	return fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed && len(fe.Issues) > 0 && fe.Issues[0].Code == fhir.CodeDuplicate
}
