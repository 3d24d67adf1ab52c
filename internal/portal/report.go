package portal

import (
	"context"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Report is the portal's citizen-service MI (E00109) from one day to
// another (to excluded): the Tasks made, the appointments starting and
// the messages sent in it, a day at a time, counted by month
// (clinical.TallyPortal). `gpcloud admin report portal` writes it.
func Report(ctx context.Context, svc *service.Service, from, to time.Time) ([]clinical.PortalMonth, error) {
	var tasks, appts, comms []fhir.Resource
	for _, q := range []struct {
		typ, param string
		into       *[]fhir.Resource
	}{{"Task", "authored-on", &tasks}, {"Appointment", "date", &appts}, {"Communication", "sent", &comms}} {
		err := appointments.EachDay(ctx, svc, q.typ, q.param, from, to, func(day []fhir.Resource) error {
			*q.into = append(*q.into, day...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return clinical.TallyPortal(tasks, appts, comms, from, to.Add(-time.Nanosecond)), nil
}
