package appointments

import (
	"context"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// SlotInfo is a Slot with what a booking needs to say about it.
type SlotInfo struct {
	Slot      fhir.Resource
	Book      BookSlot
	Clinician clinical.Ref // the Schedule's actor, named
}

// ReadSlot reads a Slot and names its Schedule's clinician, as the caller.
func ReadSlot(ctx context.Context, svc *service.Service, id string, now time.Time) (*SlotInfo, error) {
	out, err := svc.Read(ctx, "Slot", id)
	if err != nil {
		return nil, err
	}
	slot, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return nil, err
	}
	info := &SlotInfo{Slot: slot, Book: bookSlot(slot, nil, nil, now)}
	sched, _ := slot["schedule"].(map[string]any)
	if sid, ok := strings.CutPrefix(str(sched["reference"]), "Schedule/"); ok {
		if so, err := svc.Read(ctx, "Schedule", sid); err == nil {
			if s, err := fhir.Unmarshal(so.Version.Body); err == nil {
				for _, a := range asList(s["actor"]) {
					m, _ := a.(map[string]any)
					ref := str(m["reference"])
					name := str(m["display"])
					if pid, ok := strings.CutPrefix(ref, "Practitioner/"); ok {
						if po, err := svc.Read(ctx, "Practitioner", pid); err == nil {
							if pr, err := fhir.Unmarshal(po.Version.Body); err == nil {
								name = clinical.PractitionerName(pr)
							}
						}
					}
					if info.Clinician.Reference == "" {
						info.Clinician = clinical.Ref{Reference: ref, Display: name}
					}
				}
			}
		}
	}
	return info, nil
}
