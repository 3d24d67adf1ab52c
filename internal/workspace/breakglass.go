package workspace

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Break-glass: a sensitive record (a Patient labelled restricted) opens
// only after a clinician says why. The reason is kept for the rest of the
// sign-in session, for that patient only; every request on the record
// then runs with the principal's BreakGlass set, which the service
// needs to reach the record's content and which the audit trail flags
// with the reason (subtype break-glass) for the practice to review.
// Other roles see the banner's demographics and are told why no more.

const breakGlassKind = "break-glass"

// breakGlassID keys a reason by user, sign-in (a new sign-in asks again)
// and patient.
func breakGlassID(sess *identity.Session, u *identity.User, patientID string) string {
	return u.ID + "/" + strconv.FormatInt(sess.AuthTime.UnixNano(), 10) + "/" + patientID
}

type brokenGlassRecord struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// brokenGlass is the reason the user gave this session to open the
// patient's record, or "".
func (ws *Workspace) brokenGlass(ctx context.Context, sess *identity.Session, u *identity.User, patientID string) string {
	rec, err := ws.opts.Store.GetRecord(ctx, breakGlassKind, breakGlassID(sess, u, patientID))
	if err != nil {
		return ""
	}
	var b brokenGlassRecord
	if json.Unmarshal(rec.Body, &b) != nil {
		return ""
	}
	return b.Reason
}

// askReason answers a page of a sensitive record the user has not given
// a reason for: a page is sent to the reason page (and back after); a
// form post is refused, having written nothing.
func (ws *Workspace) askReason(w http.ResponseWriter, r *http.Request, v *visit, b clinical.Banner) {
	if r.Method != http.MethodGet {
		ws.message(w, r, v, http.StatusForbidden, "Sensitive record", "This record is sensitive: open it again and give your reason before making changes. Nothing was saved.")
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+b.ID+"/break-glass?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
}

// breakGlassPage is the reason form in front of a sensitive record.
type breakGlassPage struct {
	page
	Next, Reason string
	// Clinician: the user may break the glass.
	Clinician bool
}

func (ws *Workspace) breakGlassForm(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.breakGlassStep(w, r, v, false)
}

func (ws *Workspace) breakGlass(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.breakGlassStep(w, r, v, true)
}

func (ws *Workspace) breakGlassStep(w http.ResponseWriter, r *http.Request, v *visit, post bool) {
	out, err := ws.opts.Service.Read(r.Context(), "Patient", r.PathValue("id"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	b := clinical.BannerOf(res, ws.opts.Now())
	next := r.FormValue("next")
	if !strings.HasPrefix(next, "/workspace/patients/"+b.ID) || strings.Contains(next, "//") {
		next = "/workspace/patients/" + b.ID
	}
	if !b.Sensitive || v.principal.BreakGlass != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := &breakGlassPage{page: ws.base(v, "Sensitive record", ""), Next: next, Clinician: v.user.Role.IsClinician()}
	p.Banner = &b
	status := http.StatusOK
	if !p.Clinician {
		status = http.StatusForbidden
	}
	if post && p.Clinician {
		if !ws.samePatient(w, r, v, b) {
			return
		}
		p.Reason = r.PostFormValue("reason")
		if msg := clinical.CheckBreakGlassReason(p.Reason); msg != "" {
			p.AddError("reason", msg)
			ws.pages.Render(w, "breakglass", http.StatusUnprocessableEntity, p)
			return
		}
		reason := strings.TrimSpace(p.Reason)
		body, _ := json.Marshal(brokenGlassRecord{Reason: reason, At: ws.opts.Now()})
		expires := v.sess.Expires
		if expires.IsZero() {
			expires = ws.opts.Now().Add(identity.SessionTTL)
		}
		err := ws.opts.Store.InTx(r.Context(), func(tx store.Tx) error {
			return tx.PutRecord(r.Context(), store.Record{Kind: breakGlassKind, ID: breakGlassID(v.sess, v.user, b.ID), Body: body, Expires: expires})
		})
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		// This request is the break-glass: its audit event carries the
		// reason and names the patient.
		v.principal.BreakGlass = reason
		if _, err := ws.opts.Service.Read(r.Context(), "Patient", b.ID); err != nil {
			ws.failed(w, r, v, err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	ws.pages.Render(w, "breakglass", status, p)
}
