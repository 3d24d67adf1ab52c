package workspace

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// The results and documents inbox: what has arrived from labs and
// hospitals and waits to be filed, abnormal results first; and the "to
// be matched" list of what could not safely be put into a record by
// itself. Items arrive through the FHIR API (or the pathology feed's
// stand-in, internal/pathfeed) tagged "received"; intake sorts each into
// a record (only when the rules of clinical.AutoMatch allow) or into the
// list to be matched, never silently into a record.

// inboxNavLabel is the navigation entry of the inbox.
const inboxNavLabel = "Inbox"

// inboxTypes are the incoming items' types, with their path segment.
var inboxTypes = map[string]string{"results": "DiagnosticReport", "documents": "DocumentReference"}

func inboxSegment(typ string) string {
	if typ == "DiagnosticReport" {
		return "results"
	}
	return "documents"
}

// inboxLimit bounds the items read for a list; the page says when there
// are more.
const inboxLimit = 500

// inboxSearch reads the items of both types in a queue.
func (ws *Workspace) inboxSearch(ctx context.Context, state string) ([]fhir.Resource, bool, error) {
	var all []fhir.Resource
	more := false
	for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ,
			Params: url.Values{"_tag": {clinical.InboxTagSystem + "|" + state}, "_count": {strconv.Itoa(inboxLimit)}}})
		if err != nil {
			return nil, false, err
		}
		found := searchMatches(out.Resource)
		more = more || len(found) >= inboxLimit
		all = append(all, found...)
	}
	return all, more, nil
}

// intake sorts what has arrived: into a record when the item's NHS
// number, date of birth and surname all agree with one patient's
// verified details (and that patient is alive, registered and not a
// temporary resident), else into the list to be matched, with why. Each
// change is If-Match the version read, so that two people opening the
// inbox at once sort an item once.
func (ws *Workspace) intake(ctx context.Context) error {
	items, _, err := ws.inboxSearch(ctx, clinical.InboxReceived)
	if err != nil {
		return err
	}
	for _, res := range items {
		in := clinical.IncomingOf(res)
		next := clinical.WithInboxStateWhy(res, clinical.InboxToMatch, "")
		candidates, err := ws.matchCandidates(ctx, in.Claimed.NHSNumber)
		if err != nil {
			return err
		}
		if id, why := clinical.AutoMatch(in.Claimed, candidates); id != "" {
			for _, c := range candidates {
				if c.Patient.ID() == id {
					next = clinical.MatchTo(res, clinical.BannerOf(c.Patient, ws.opts.Now()))
				}
			}
		} else {
			next = clinical.WithInboxStateWhy(res, clinical.InboxToMatch, why)
		}
		v, _ := strconv.ParseInt(in.Version, 10, 64)
		if _, err := ws.opts.Service.Update(ctx, in.Type, in.ID, next, service.Precondition{Set: true, Version: v}); err != nil {
			var fe *fhir.Error
			if errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict) {
				continue // someone else sorted it first
			}
			return err
		}
		if clinical.InboxState(next) == clinical.InboxToFile {
			if err := ws.fulfilRequests(ctx, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// fulfilRequests marks the test requests a report in a record quotes as
// having their result, so that they leave the outstanding list. Only a
// request of the same patient is touched.
func (ws *Workspace) fulfilRequests(ctx context.Context, report fhir.Resource) error {
	patient := clinical.IncomingOf(report).Patient.Reference
	for _, n := range clinical.OrderNumbers(report) {
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "ServiceRequest",
			Params: url.Values{"identifier": {clinical.OrderNumberSystem + "|" + n}, "status": {"active"}}})
		if err != nil {
			return err
		}
		for _, req := range searchMatches(out.Resource) {
			if clinical.TestRequestOf(req).Patient.Reference != patient {
				continue
			}
			next, ok := clinical.Fulfilled(req)
			if !ok {
				continue
			}
			v, _ := strconv.ParseInt(clinical.TestRequestOf(req).Version, 10, 64)
			if _, err := ws.opts.Service.Update(ctx, "ServiceRequest", req.ID(), next, service.Precondition{Set: true, Version: v}); err != nil {
				var fe *fhir.Error
				if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
					continue
				}
				return err
			}
		}
	}
	return nil
}

// matchCandidates are the practice's patients with an NHS number, with
// whether each is a temporary resident.
func (ws *Workspace) matchCandidates(ctx context.Context, nhs string) ([]clinical.MatchCandidate, error) {
	if !clinical.ValidNHSNumber(nhs) {
		return nil, nil
	}
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "Patient",
		Params: url.Values{"identifier": {clinical.NHSNumberSystem + "|" + nhs}, "_count": {"10"}}})
	if err != nil {
		return nil, err
	}
	var cs []clinical.MatchCandidate
	for _, p := range searchMatches(out.Resource) {
		c := clinical.MatchCandidate{Patient: p}
		eps, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "EpisodeOfCare",
			Params: url.Values{"patient": {"Patient/" + p.ID()}, "status": {"active"}, "_count": {"20"}}})
		if err != nil {
			return nil, err
		}
		for _, ep := range searchMatches(eps.Resource) {
			if k := clinical.ViewRegistration(ep, ws.opts.Now()).TypeKey; k == "temporary" || k == "immediately-necessary" {
				c.Temporary = true
			}
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// inboxPage lists the items to file, or to match.
type inboxPage struct {
	page
	Items []inboxRow
	More  bool
	Done  string
	// MayFile: the user is a clinician.
	MayFile bool
	Match   bool
	ToMatch int
}

type inboxRow struct {
	clinical.Incoming
	Href    string
	Overdue bool
}

func (ws *Workspace) inboxRows(items []fhir.Resource, match bool) []inboxRow {
	var ins []clinical.Incoming
	for _, res := range items {
		ins = append(ins, clinical.IncomingOf(res))
	}
	clinical.SortIncoming(ins)
	var rows []inboxRow
	for _, in := range ins {
		href := "/workspace/inbox/" + inboxSegment(in.Type) + "/" + in.ID
		if match {
			href = "/workspace/inbox/match/" + inboxSegment(in.Type) + "/" + in.ID
		}
		rows = append(rows, inboxRow{Incoming: in, Href: href, Overdue: in.Overdue(ws.opts.Now())})
	}
	return rows
}

func (ws *Workspace) inbox(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.inboxList(w, r, v, false)
}

func (ws *Workspace) toMatch(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.inboxList(w, r, v, true)
}

func (ws *Workspace) inboxList(w http.ResponseWriter, r *http.Request, v *visit, match bool) {
	if err := ws.intake(r.Context()); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	state, title := clinical.InboxToFile, "Results and letters to file"
	if match {
		state, title = clinical.InboxToMatch, "To be matched"
	}
	items, more, err := ws.inboxSearch(r.Context(), state)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p := &inboxPage{page: ws.base(v, title, inboxNavLabel), More: more, Match: match,
		MayFile: v.user.Role.IsClinician(), Done: inboxDoneMessage(r.URL.Query().Get("done"))}
	if match || p.MayFile || v.user.Role == auth.RolePracticeAdmin {
		// Staff who do not file see what waits to be matched, not the
		// results themselves.
		p.Items = ws.inboxRows(items, match)
	}
	if !match {
		if waiting, _, err := ws.inboxSearch(r.Context(), clinical.InboxToMatch); err == nil {
			p.ToMatch = len(waiting)
		}
	}
	ws.pages.Render(w, "inbox", http.StatusOK, p)
}

func inboxDoneMessage(what string) string {
	return map[string]string{
		"filed":       "Filed to the patient's record.",
		"filed-task":  "Filed to the patient's record, and a task created for the action.",
		"matched":     "Matched to the patient's record. It now waits to be filed by a clinician.",
		"not-waiting": "That item is no longer waiting: someone else dealt with it.",
	}[what]
}

// inboxItem reads an item by its path (results/{id} or documents/{id}).
func (ws *Workspace) inboxItem(ctx context.Context, r *http.Request) (fhir.Resource, error) {
	typ, ok := inboxTypes[r.PathValue("kind")]
	if !ok {
		return nil, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such inbox")
	}
	return ws.read(ctx, typ, r.PathValue("item"))
}

// letterText is a letter's text attachment, for reading it on screen.
func letterText(res fhir.Resource) string {
	for _, c := range anyList(res["content"]) {
		cm, _ := c.(map[string]any)
		a, _ := cm["attachment"].(map[string]any)
		if ct, _ := a["contentType"].(string); !strings.HasPrefix(ct, "text/plain") {
			continue
		}
		if data, _ := a["data"].(string); data != "" {
			if b, err := base64.StdEncoding.DecodeString(data); err == nil {
				return string(b)
			}
		}
	}
	return ""
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
