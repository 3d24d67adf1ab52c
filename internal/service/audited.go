package service

import (
	"context"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// auditedTx notes what a write transaction writes, so that its
// AuditEvents are staged in the same transaction (audit.Stage): a write
// is never committed without its audit, whatever happens after.
type auditedTx struct {
	store.Tx
	written []audit.Seen
}

func (t *auditedTx) Put(ctx context.Context, w store.Write) (store.Version, error) {
	seen := audit.Seen{Type: w.Type, ID: w.ID}
	switch {
	case w.Type == "Patient":
		seen.Owners, seen.OwnersKnown = []string{w.ID}, true
	case !w.Deleted:
		seen.Owners = search.ReferencesIn(&w.Index, definitions.PatientCompartment(w.Type), "Patient")
		seen.OwnersKnown = true
	default:
		// A deletion is about whoever the deleted version belonged to.
		if cur, err := t.Tx.Read(ctx, w.Type, w.ID); err == nil {
			seen.Body = cur.Body
		}
	}
	v, err := t.Tx.Put(ctx, w)
	if err == nil {
		t.written = append(t.written, seen)
	}
	return v, err
}
