package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Conditional references resolved before the write transaction (issue
// 12). A transaction whose only reads of the store are its conditional
// references (newer Synthea versions' patient bundles name their
// practitioners and organisations by identifier) had to resolve them, and so validate,
// serialise and index all its creates, inside the transaction: on SQLite,
// holding the one write lock every other write waits for. Such a bundle
// now resolves them beforehand, tentatively, and prepares its creates
// outside. Inside the transaction, under the same locks a bundle resolved
// there takes, each conditional reference is resolved again; the prepared
// writes are used only when every one still names the same resource.
// Otherwise (another request changed the practitioners meanwhile) the
// resources go back to what was sent and are resolved and prepared inside
// the transaction, as before: what is written never rests on a read made
// outside it (TestTentativeReferencesChangedMeanwhile). loadsynthea
// -conditional on SQLite, alternated: median ~3,585 → ~4,160 resources/s,
// peak RSS ~270 → ~305 MB (bench/README.md).

// afterTentative, when a test sets it, runs between a bundle's tentative
// resolution and its transaction: where another request's change lands.
var afterTentative func()

// tentative is what a bundle's tentative resolution decided.
type tentative struct {
	// resolved is the resource each conditional reference named.
	resolved map[string]string
	// sent are the resources, as the bundle sent them, of the entries
	// whose conditional references were rewritten.
	sent map[*bundleEntry]fhir.Resource
}

// onlyConditionalReferences reports whether the store is read for a
// bundle's conditional references alone: no conditional create, update,
// patch or delete (their targets decide which resources are written).
func onlyConditionalReferences(entries []*bundleEntry) bool {
	for _, e := range entries {
		if e.ifNoneExist != "" || e.query != nil {
			return false
		}
	}
	return true
}

// resolveTentatively rewrites the references of entries whose targets
// are assigned, reading the store outside any transaction, and prepares
// the creates. On an error it puts the resources back and returns nil:
// the transaction then resolves inside and reports whatever is still
// wrong (the targets stay: references to them are rewritten already).
func (s *Service) resolveTentatively(ctx context.Context, entries []*bundleEntry) *tentative {
	t := &tentative{resolved: map[string]string{}, sent: map[*bundleEntry]fhir.Resource{}}
	for _, e := range entries {
		if e.resource != nil && e.method != http.MethodPatch && hasConditionalReference(e.resource) {
			t.sent[e] = fhir.DeepCopy(e.resource).(fhir.Resource)
		}
	}
	if err := s.rewriteReferencesRecording(ctx, s.store, entries, t.resolved); err != nil {
		t.undo(entries)
		return nil
	}
	s.prepareCreates(entries)
	return t
}

// holds resolves every conditional reference again in tx and reports
// whether each still names the resource it named outside.
func (t *tentative) holds(ctx context.Context, s *Service, tx store.Tx, entries []*bundleEntry) (bool, error) {
	for ref, was := range t.resolved {
		typ, query, _ := conditionalReference(ref)
		now, err := s.resolveConditionalReference(ctx, tx, entries, typ, query)
		var fe *fhir.Error
		switch {
		case errors.As(err, &fe) && fe.Status < 500:
			return false, nil // no longer one match: resolving inside reports it
		case err != nil:
			return false, err
		}
		if now != was {
			return false, nil
		}
	}
	return true, nil
}

// undo puts back the resources as the bundle sent them and drops the
// writes prepared from the rewritten ones.
func (t *tentative) undo(entries []*bundleEntry) {
	for e, r := range t.sent {
		e.resource = r
	}
	for _, e := range entries {
		e.prepared, e.prepareErr = nil, nil
	}
}

func hasConditionalReference(r fhir.Resource) bool {
	found := false
	fhir.WalkReferences(map[string]any(r), func(ref string) (string, bool) {
		if _, _, ok := conditionalReference(ref); ok {
			found = true
		}
		return "", false
	})
	return found
}
