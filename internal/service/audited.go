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
	// registered remembers, for this transaction only, the practices each
	// Patient read is registered at: a consultation of fifteen resources
	// would otherwise read and decode its Patient fifteen times. A write
	// of the Patient in the transaction forgets it.
	registered map[string]registration
	// svc keeps Slots in step with the Appointments written (booking.go).
	svc *Service
}

func (t *auditedTx) Put(ctx context.Context, w store.Write) (store.Version, error) {
	seen := audit.Seen{Type: w.Type, ID: w.ID}
	switch {
	case w.Type == "Binary":
		// Whose record a Binary is depends on what its securityContext
		// names (binaryaccess.go); a deletion, on what was deleted.
		ref := securityContext(w.Index)
		if w.Deleted {
			if cur, err := t.Tx.Read(ctx, w.Type, w.ID); err == nil && !cur.Deleted {
				ref = securityContextOf(cur.Body)
			}
		}
		owners, err := binaryOwners(ctx, t.Tx, ref)
		if err != nil {
			return store.Version{}, err
		}
		seen.Owners, seen.OwnersKnown = owners, true
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
	if w.Type == "Patient" {
		delete(t.registered, w.ID)
	}
	if w.Type == "Appointment" && t.svc != nil {
		if err := t.svc.keepSlots(ctx, t, w); err != nil {
			return store.Version{}, err
		}
	}
	v, err := t.Tx.Put(ctx, rewound(w))
	if err == nil {
		t.written = append(t.written, seen)
	}
	return v, err
}

// securityContext finds a Binary's securityContext among its index rows.
func securityContext(v search.Values) search.ReferenceValue {
	for _, r := range v.References {
		if r.Param == search.SecurityContextParam {
			return r
		}
	}
	return search.ReferenceValue{}
}
