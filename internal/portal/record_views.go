package portal

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Who has viewed the record: the audit trail's events about this
// patient, read as the user (the service gives a patient only the
// events about their own record), in plain words
// (clinical.RecordViews). Whoever may see the record may see who looked
// at it; the user's own visits are left out.

// recordViewsLimit is how many of the latest events the page reads.
const recordViewsLimit = 500

type recordViewsPage struct {
	page
	// Open: the viewer may see the record (and so who looked at it).
	Open  bool
	Why   string
	Views []clinical.RecordView
}

func (pt *Portal) recordViews(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &recordViewsPage{page: pt.base(v, "Who has viewed your record", "Health record")}
	if v.Proxy {
		p.Title = "Who has viewed this record"
	}
	scope, _, err := pt.recordScope(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Open, p.Why = !scope.None(), scope.Why
	if !p.Open {
		pt.pages.Render(w, "record-views", http.StatusOK, p)
		return
	}
	events, err := pt.search(r, "AuditEvent", url.Values{"patient": {"Patient/" + v.Patient.ID}, "_sort": {"-date"}, "_count": {itoa(recordViewsLimit)}})
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	names := map[string]string{}
	p.Views = clinical.RecordViews(events, v.user.ID, func(ref string) string {
		if n, ok := names[ref]; ok {
			return n
		}
		n := ""
		if res, err := pt.opts.Service.Read(r.Context(), "Practitioner", ref[len("Practitioner/"):]); err == nil {
			if pr, err := fhir.Unmarshal(res.Version.Body); err == nil {
				n = clinical.PractitionerName(pr)
			}
		}
		names[ref] = n
		return n
	})
	pt.pages.Render(w, "record-views", http.StatusOK, p)
}
