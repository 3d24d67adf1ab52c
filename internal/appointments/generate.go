// Package appointments runs the practice's appointment book over the
// service: generating Slots from rotas, and (as it grows) the book's
// reads and bookings shared by the workspace, the portal and GP Connect.
// The rules (what a rota makes, who may book) are in internal/clinical;
// this package reads and writes through internal/service as the caller's
// Principal, so access control and audit are those of every other route.
package appointments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// DefaultHorizon is how far ahead Slots are generated.
const DefaultHorizon = 6 * 7 * 24 * time.Hour

// Displaced is a booked Slot that an exception now covers: its patient
// must be moved (a worklist, not an automatic cancellation).
type Displaced struct {
	Slot   string
	Start  time.Time
	Reason string
}

// Generated says what a generation did: Blocked counts the slots an
// exception covers, whether made blocked now or blocked since.
type Generated struct {
	Created, Blocked, Removed, Kept int
	// Rereleased counts free Slots whose GP Connect release the rota
	// now gives differently (brought in line, so a narrowed release
	// takes effect on slots already made).
	Rereleased int
	Displaced  []Displaced
}

// Generate brings a Schedule's Slots from one time to another in line
// with its rota, in one transaction: missing Slots are created, free
// Slots an exception covers are blocked, free Slots the rota no longer
// has are removed, and booked Slots are never touched (those an
// exception covers are listed as displaced). Running it again changes
// nothing. Slots that have started are left alone.
func Generate(ctx context.Context, svc *service.Service, scheduleID string, from, to time.Time) (Generated, error) {
	var g Generated
	if now := time.Now(); from.Before(now) {
		from = now
	}
	out, err := svc.Read(ctx, "Schedule", scheduleID)
	if err != nil {
		return g, err
	}
	schedule, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return g, err
	}
	sessions, exceptions := clinical.RotaOf(schedule)
	if err := clinical.CheckRota(sessions); err != nil {
		return g, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeBusinessRule, "Schedule/%s: %v", scheduleID, err)
	}
	if to.Sub(from) > 53*7*24*time.Hour {
		return g, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeTooCostly, "slots are generated at most a year ahead")
	}
	existing, err := slotsOf(ctx, svc, scheduleID, from, to)
	if err != nil {
		return g, err
	}
	planned := map[string]clinical.PlannedSlot{}
	for _, p := range clinical.PlanSlots(sessions, exceptions, from, to) {
		if p.Start.Before(from) || !p.Start.Before(to) {
			continue
		}
		planned[clinical.SlotKey(scheduleID, p.Start)] = p
	}
	var entries []any
	put := func(res fhir.Resource, method, u string) {
		e := map[string]any{"request": map[string]any{"method": method, "url": u}}
		if res != nil {
			e["resource"] = map[string]any(res)
		}
		entries = append(entries, e)
	}
	seen := map[string]bool{}
	for _, slot := range existing {
		start, _ := time.Parse(time.RFC3339, str(slot["start"]))
		key := clinical.SlotKey(scheduleID, start)
		seen[key] = true
		status := str(slot["status"])
		p, inPlan := planned[key]
		switch {
		case status == "busy" || status == "busy-tentative":
			g.Kept++
			if inPlan && p.Blocked != "" {
				g.Displaced = append(g.Displaced, Displaced{Slot: slot.ID(), Start: start, Reason: p.Blocked})
			}
		case !inPlan && status == "free":
			g.Removed++
			put(nil, "DELETE", "Slot/"+slot.ID())
		case inPlan && p.Blocked != "" && status == "free":
			g.Blocked++
			slot["status"], slot["comment"] = "busy-unavailable", p.Blocked
			put(slot, "PUT", "Slot/"+slot.ID())
		case inPlan && p.Blocked == "" && status == "busy-unavailable" && str(slot["comment"]) != "":
			// The exception was lifted: the slot is free again.
			g.Created++
			fresh := clinical.SlotResource(scheduleID, p)
			fresh["id"] = slot.ID()
			put(fresh, "PUT", "Slot/"+slot.ID())
		case inPlan && p.Blocked == "" && status == "free" && clinical.SlotReleaseChanged(slot, clinical.SlotResource(scheduleID, p)):
			g.Rereleased++
			fresh := clinical.SlotResource(scheduleID, p)
			fresh["id"] = slot.ID()
			put(fresh, "PUT", "Slot/"+slot.ID())
		default:
			g.Kept++
		}
	}
	for key, p := range planned {
		if seen[key] {
			continue
		}
		g.Created++
		if p.Blocked != "" {
			g.Blocked++ // made blocked: an exception covers it
		}
		// The id comes from the slot key and the write is create-only
		// (If-None-Match: *): a second generation running at the same
		// time cannot make a second Slot for the same time, and no
		// search per slot is needed to know it (a conditional create
		// searched once per slot: 25,000 slots took minutes).
		res := clinical.SlotResource(scheduleID, p)
		id := slotID(key)
		res["id"] = id
		entries = append(entries, map[string]any{"resource": map[string]any(res),
			"request": map[string]any{"method": "PUT", "url": "Slot/" + id, "ifNoneMatch": "*"}})
	}
	if len(entries) == 0 {
		return g, nil
	}
	_, err = svc.ProcessBundle(ctx, fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{})
	return g, err
}

// slotsOf reads a Schedule's Slots starting in [from, to), a week at a
// time (a week of one Schedule fits in one page of 1,000).
func slotsOf(ctx context.Context, svc *service.Service, scheduleID string, from, to time.Time) ([]fhir.Resource, error) {
	var out []fhir.Resource
	for start := from; start.Before(to); start = start.Add(7 * 24 * time.Hour) {
		end := start.Add(7 * 24 * time.Hour)
		if end.After(to) {
			end = to
		}
		params := url.Values{"schedule": {"Schedule/" + scheduleID}, "_count": {fmt.Sprint(service.MaxSearchCount)},
			"start": {"ge" + start.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)}}
		res, err := svc.Search(ctx, service.SearchRequest{Type: "Slot", Params: params})
		if err != nil {
			return nil, err
		}
		matches := Matches(res.Resource)
		if len(matches) == service.MaxSearchCount {
			return nil, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeTooCostly, "Schedule/%s has more than %d slots in the week from %s", scheduleID, service.MaxSearchCount, start.Format("02-Jan-2006"))
		}
		out = append(out, matches...)
	}
	return out, nil
}

// Matches reads the matches of a searchset Bundle (service.Matches).
func Matches(b fhir.Resource) []fhir.Resource { return service.Matches(b) }

func str(v any) string { s, _ := v.(string); return s }

// slotID is a generated Slot's id: a hash of its key (FHIR ids are at
// most 64 characters of [A-Za-z0-9-.]).
func slotID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "slot-" + hex.EncodeToString(sum[:16])
}

// SlotID is the id of the Slot a rota generates for a slot key
// (clinical.SlotKey): a test or a tool finds a generated Slot by its
// Schedule and start without a search.
func SlotID(key string) string { return slotID(key) }
