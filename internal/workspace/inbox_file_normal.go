package workspace

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Filing normal results together: a clinician ticks the normal results
// on the inbox list (only those clinical.BulkFilable allows have a box)
// and files them with no action. Each is read again and filed If-Match
// the version the list showed, on its own: one that changed since, or is
// no longer normal, is left waiting and counted, never filed unseen.

func (ws *Workspace) fileNormal(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.user.Role.IsClinician() {
		ws.message(w, r, v, http.StatusForbidden, "Not filed", "Results are filed by clinicians.")
		return
	}
	chosen := r.PostForm["item"]
	if len(chosen) == 0 {
		ws.inboxList(w, r, v, false, map[string]string{"item": "Select the normal results to file"})
		return
	}
	who := ws.authorRef(r.Context(), v)
	filed, left := 0, 0
	for _, c := range chosen {
		ok, err := ws.fileOneNormal(r, c, who)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		if ok {
			filed++
		} else {
			left++
		}
	}
	http.Redirect(w, r, "/workspace/inbox?done=bulk-filed&filed="+strconv.Itoa(filed)+"&left="+strconv.Itoa(left), http.StatusSeeOther)
}

// fileOneNormal files one ticked result ("{id}/{version}"); false when
// it is not (or no longer) a normal result waiting at that version.
func (ws *Workspace) fileOneNormal(r *http.Request, chosen string, who clinical.Ref) (bool, error) {
	id, version, ok := strings.Cut(chosen, "/")
	v, err := strconv.ParseInt(version, 10, 64)
	if !ok || err != nil || id == "" {
		return false, nil
	}
	res, err := ws.read(r.Context(), "DiagnosticReport", id)
	if err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusNotFound || fe.Status == http.StatusGone || fe.Status == http.StatusForbidden) {
			return false, nil
		}
		return false, err
	}
	in := clinical.IncomingOf(res)
	if in.Version != version || !clinical.BulkFilable(in) {
		return false, nil
	}
	filing := clinical.BulkFiling(who)
	if errs := clinical.CheckFiling(in, filing, true); len(errs) > 0 {
		return false, nil
	}
	if _, err := ws.opts.Service.Update(r.Context(), "DiagnosticReport", id, clinical.Filed(res, filing, ws.opts.Now()),
		service.Precondition{Set: true, Version: v}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
