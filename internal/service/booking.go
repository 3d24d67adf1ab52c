package service

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Booking keeps Appointments and Slots consistent, whatever writes the
// Appointment (a page, the FHIR API, a transaction Bundle, GP Connect):
// a Slot is busy exactly while an Appointment that holds it exists. It
// runs inside the write's transaction with the Slots locked, so sixteen
// callers booking one Slot at once make one booking; the others get 409.
//
// What a caller may book (embargoes, who a slot is for, the past) is the
// practice's rule, not the store's: the BookingPolicy the service is
// given decides, and the service only asks it about Slots newly taken.

// BookingPolicy decides whether the caller in ctx may take a Slot now.
// It returns nil, or a *fhir.Error saying why not (422 or 403).
type BookingPolicy interface {
	MayBook(ctx context.Context, p *auth.Principal, slot fhir.Resource, now time.Time) error
	// MayMove decides whether an Appointment may go from one status to
	// another (a fulfilled one cannot be cancelled).
	MayMove(from, to string) error
	// Recorded returns what the patient's record gains when an
	// Appointment's status moves (a did-not-attend entry), written in the
	// same transaction by whoever made the move.
	Recorded(appointment, patient fhir.Resource, from, to string, now time.Time) []fhir.Resource
}

// SlotFreer is what a BookingPolicy may also decide: the status a Slot
// takes when the Appointment holding it lets it go. A Slot in time its
// Schedule's rota takes out (the clinician is off) is blocked again, not
// freed, whoever cancels or moves the appointment. Without it a freed
// Slot is free.
type SlotFreer interface {
	FreedStatus(slot, schedule fhir.Resource) (status, comment string)
}

// holdsSlots lists the Appointment statuses that keep their Slots busy: a
// cancelled or entered-in-error appointment frees them; one the patient
// did not attend keeps the time it took.
var holdsSlots = []string{"pending", "booked", "arrived", "checked-in", "fulfilled", "noshow"}

// decodeAppointment decodes an Appointment version once for the checks
// below (nil for none or a deletion).
func decodeAppointment(body []byte, deleted bool) (fhir.Resource, error) {
	if deleted || len(body) == 0 {
		return nil, nil
	}
	return fhirjson.DecodeResource(body, fhirjson.DefaultLimits)
}

// slotsHeld returns the Slots an Appointment version holds (none when its
// status does not hold them, or for no version).
func slotsHeld(res fhir.Resource) ([]string, error) {
	if res == nil {
		return nil, nil
	}
	status, _ := res["status"].(string)
	if !slices.Contains(holdsSlots, status) {
		return nil, nil
	}
	var ids []string
	slots, _ := res["slot"].([]any)
	for _, s := range slots {
		m, _ := s.(map[string]any)
		ref, _ := m["reference"].(string)
		if id, ok := strings.CutPrefix(ref, "Slot/"); ok && id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		} else if ref != "" {
			return nil, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeInvalid,
				"Appointment.slot must reference a Slot of this server as Slot/id, not %q", ref).At("Appointment.slot")
		}
	}
	return ids, nil
}

// keepSlots runs before an Appointment write w in transaction t: Slots
// the new version holds and the old did not are taken (free, allowed by
// the policy, then marked busy); Slots the old held and the new does not
// are freed.
//
// An import (Verbatim) carries another system's Appointments and Slots
// as they were, busy Slots included, so nothing is checked or changed.
func (s *Service) keepSlots(ctx context.Context, t *auditedTx, w store.Write) error {
	if verbatim(ctx) {
		return nil
	}
	p, hasPrincipal := auth.FromContext(ctx)
	var before fhir.Resource
	cur, err := t.Tx.Read(ctx, "Appointment", w.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if before, err = decodeAppointment(cur.Body, cur.Deleted); err != nil {
			return err
		}
	}
	after, err := decodeAppointment(w.Body, w.Deleted)
	if err != nil {
		return err
	}
	if s.booking != nil && hasPrincipal && before != nil && after != nil {
		from, _ := before["status"].(string)
		to, _ := after["status"].(string)
		if err := s.booking.MayMove(from, to); err != nil {
			return err
		}
		if from != to {
			if err := s.record(ctx, t, after, from, to); err != nil {
				return err
			}
		}
	}
	held, err := slotsHeld(before)
	if err != nil {
		return err
	}
	holds, err := slotsHeld(after)
	if err != nil {
		return err
	}
	var take, free []string
	for _, id := range holds {
		if !slices.Contains(held, id) {
			take = append(take, id)
		}
	}
	for _, id := range held {
		if !slices.Contains(holds, id) {
			free = append(free, id)
		}
	}
	if len(take)+len(free) == 0 {
		return nil
	}
	keys := make([]string, 0, len(take)+len(free))
	for _, id := range append(slices.Clone(take), free...) {
		keys = append(keys, "Slot/"+id)
	}
	slices.Sort(keys)
	if err := t.Tx.Lock(ctx, keys...); err != nil {
		return err
	}
	for _, id := range take {
		slot, v, err := s.readSlot(ctx, t, id)
		if err != nil {
			return err
		}
		if status, _ := slot["status"].(string); status != "free" {
			return fhir.Errorf(http.StatusConflict, fhir.CodeConflict, "Slot/%s %s: it cannot be booked", id, slotTaken[status]).At("Appointment.slot")
		}
		if s.booking != nil && hasPrincipal {
			if err := s.booking.MayBook(ctx, p, slot, s.now()); err != nil {
				return err
			}
		}
		if err := s.setSlotStatus(ctx, t, slot, v, "busy"); err != nil {
			return err
		}
	}
	for _, id := range free {
		slot, v, err := s.readSlot(ctx, t, id)
		if errors.Is(err, errNoSlot) {
			continue // the Slot was removed: nothing to free
		}
		if err != nil {
			return err
		}
		if status, _ := slot["status"].(string); status == "busy" {
			next := "free"
			if freer, ok := s.booking.(SlotFreer); ok {
				schedule, err := s.slotSchedule(ctx, t, slot)
				if err != nil {
					return err
				}
				var comment string
				if next, comment = freer.FreedStatus(slot, schedule); comment != "" {
					slot["comment"] = comment
				}
			}
			if err := s.setSlotStatus(ctx, t, slot, v, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// slotTaken says why a Slot that is not free cannot be booked.
var slotTaken = map[string]string{
	"busy":             "is already booked",
	"busy-unavailable": "is blocked",
	"busy-tentative":   "is held for another booking",
	"entered-in-error": "was withdrawn",
	"":                 "has no status",
}

var errNoSlot = fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeNotFound, "the Slot does not exist").At("Appointment.slot")

// readSlot reads a Slot in the transaction; one that does not exist is
// a 422 naming it.
func (s *Service) readSlot(ctx context.Context, t *auditedTx, id string) (fhir.Resource, store.Version, error) {
	v, err := t.Tx.Read(ctx, "Slot", id)
	if errors.Is(err, store.ErrNotFound) || err == nil && v.Deleted {
		return nil, v, errNoSlot
	}
	if err != nil {
		return nil, v, err
	}
	slot, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
	return slot, v, err
}

// slotSchedule reads the Schedule a Slot belongs to in the transaction
// (nil when it has none or it is gone).
func (s *Service) slotSchedule(ctx context.Context, t *auditedTx, slot fhir.Resource) (fhir.Resource, error) {
	ref, _ := slot["schedule"].(map[string]any)
	reference, _ := ref["reference"].(string)
	id, ok := strings.CutPrefix(reference, "Schedule/")
	if !ok || id == "" {
		return nil, nil
	}
	v, err := t.Tx.Read(ctx, "Schedule", id)
	if errors.Is(err, store.ErrNotFound) || err == nil && v.Deleted {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
}

// setSlotStatus writes the Slot's next version with status: a write the
// booking makes on the caller's behalf (a patient books but may not edit
// Slots), so it is not checked against the caller's scopes, and it is
// audited with the Appointment's transaction.
func (s *Service) setSlotStatus(ctx context.Context, t *auditedTx, slot fhir.Resource, cur store.Version, status string) error {
	slot["status"] = status
	w, err := prepareWrite(slot, "Slot", cur.ID, cur.VersionID+1, http.MethodPut, s.now(), s.codes)
	if err != nil {
		return err
	}
	v, err := t.Put(ctx, w)
	if err != nil {
		return err
	}
	s.seen(ctx, v)
	return nil
}

type verbatimKey struct{}

// Verbatim marks ctx as an import of another system's records: derived
// state they carry (a Slot's busy status) is written as it was, not
// derived again from the Appointments (which would refuse each busy Slot
// as double-booked).
func Verbatim(ctx context.Context) context.Context {
	return context.WithValue(ctx, verbatimKey{}, true)
}

func verbatim(ctx context.Context) bool { v, _ := ctx.Value(verbatimKey{}).(bool); return v }

// record writes what the policy says a status move adds to the patient's
// record. The entries are the move's consequence, not the caller's own
// writes, so the caller's scopes are not asked (a receptionist marks a
// did-not-attend; the entry is written for them), and they are audited
// with the transaction.
func (s *Service) record(ctx context.Context, t *auditedTx, appt fhir.Resource, from, to string) error {
	var patient fhir.Resource
	for _, p := range asList(appt["participant"]) {
		m, _ := p.(map[string]any)
		actor, _ := m["actor"].(map[string]any)
		ref, _ := actor["reference"].(string)
		if id, ok := strings.CutPrefix(ref, "Patient/"); ok {
			if v, err := t.Tx.Read(ctx, "Patient", id); err == nil && !v.Deleted {
				patient, _ = fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
			}
		}
	}
	for _, res := range s.booking.Recorded(appt, patient, from, to, s.now()) {
		typ := res.Type()
		nw, err := prepareWrite(res, typ, newID(), 1, http.MethodPost, s.now(), s.codes)
		if err != nil {
			return err
		}
		v, err := t.Put(ctx, nw)
		if err != nil {
			return err
		}
		s.seen(ctx, v)
	}
	return nil
}

func asList(v any) []any { l, _ := v.([]any); return l }
