package workspace

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/intake"
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

// inboxLimit bounds the items a list shows: a page of the most urgent
// and, within a rank, the longest waiting. The page says how many more
// wait. (Reading a queue of thousands to sort it cost most of a second,
// most of it the audit of every item read.)
const inboxLimit = 100

// inboxSearch reads up to inboxLimit items of both types in a queue, a
// rank at a time (clinical.InboxRanks), oldest first within a rank, and
// tells whether more wait. Each rank is one exact tag; a count of the
// whole queue under a practice's reach cost as much as the rest of the
// page, so the page says that more wait, not how many.
//
// forRef, when set, keeps the items for that clinician (the "For you"
// view, clinical.InboxFor).
func (ws *Workspace) inboxSearch(ctx context.Context, state, forRef string) ([]fhir.Resource, bool, error) {
	var all []fhir.Resource
	full := false
	for _, rank := range clinical.InboxRanks {
		for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
			left := inboxLimit - len(all)
			if full {
				left = 1 // is there any more?
			}
			params := url.Values{"_tag": {clinical.InboxRankSystem + "|" + clinical.InboxRankCode(state, rank)}, "_sort": {"_lastUpdated"},
				"_count": {strconv.Itoa(left)}, "_total": {"none"}}
			if forRef != "" {
				params.Add("_tag", clinical.InboxForSystem+"|"+forRef)
			}
			out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, FirstPageOnly: true, Params: params})
			if err != nil {
				return nil, false, err
			}
			found := searchMatches(out.Resource)
			if full {
				if len(found) > 0 {
					return all, true, nil
				}
				continue
			}
			all = append(all, found...)
			if out.More {
				return all, true, nil
			}
			full = len(all) >= inboxLimit
		}
	}
	return all, false, nil
}

// openSortLimit bounds the received items of each type the inbox sorts
// when it is opened: what has just arrived is there at once, while the
// background intake (gpcloud serve) sorts any backlog, so that opening
// the inbox never waits on thousands of items.
const openSortLimit = 50

// intake sorts, as the user, what has arrived (internal/intake).
func (ws *Workspace) intake(ctx context.Context) error {
	_, err := (&intake.Intake{Service: ws.opts.Service, Now: ws.opts.Now}).Sort(ctx, openSortLimit)
	return err
}

// inboxCount counts the items of both types in a queue.
func (ws *Workspace) inboxCount(ctx context.Context, state string) (int, error) {
	n := 0
	for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ,
			Params: url.Values{"_tag": {clinical.InboxTagSystem + "|" + state}, "_summary": {"count"}}})
		if err != nil {
			return 0, err
		}
		if t := service.Total(out.Resource); t > 0 {
			n += t
		}
	}
	return n, nil
}

// inboxPage lists the items to file, or to match.
type inboxPage struct {
	page
	Items []inboxRow
	// More: more wait than the page lists.
	More bool
	Done string
	// MayFile: the user is a clinician.
	MayFile bool
	// Mine: the "For you" view.
	Mine bool
	// AnyFilable: a listed result can be filed with others as normal.
	AnyFilable bool
	Match      bool
	ToMatch    int
}

type inboxRow struct {
	clinical.Incoming
	Href    string
	Overdue bool
	// Filable: a normal result a clinician may file with others
	// without opening it (clinical.BulkFilable).
	Filable bool
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
		rows = append(rows, inboxRow{Incoming: in, Href: href, Overdue: in.Overdue(ws.opts.Now()), Filable: !match && clinical.BulkFilable(in)})
	}
	return rows
}

func (ws *Workspace) inbox(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.inboxList(w, r, v, false, nil)
}

// myInbox lists what is for the signed-in clinician: results they asked
// for, or of their patients (clinical.RouteFor).
func (ws *Workspace) myInbox(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.inboxList(w, r, v, false, nil, v.principal.FHIRUser)
}

func (ws *Workspace) toMatch(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.inboxList(w, r, v, true, nil)
}

// inboxList renders a queue; errs are a bulk filing's errors (the list
// is then answered 422).
func (ws *Workspace) inboxList(w http.ResponseWriter, r *http.Request, v *visit, match bool, errs map[string]string, forRef ...string) {
	if err := ws.intake(r.Context()); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	state, title := clinical.InboxToFile, "Results and letters to file"
	if match {
		state, title = clinical.InboxToMatch, "To be matched"
	}
	mine := len(forRef) > 0
	if mine && forRef[0] == "" {
		forRef[0] = "Practitioner/none" // no directory entry: nothing is for them
	}
	if mine {
		title = "Results and letters for you"
	}
	items, more, err := ws.inboxSearch(r.Context(), state, strings.Join(forRef, ""))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p := &inboxPage{page: ws.base(v, title, inboxNavLabel), More: more, Match: match, Mine: mine,
		MayFile: v.user.Role.IsClinician(), Done: inboxDoneMessage(r.URL.Query())}
	if match || p.MayFile || v.user.Role == auth.RolePracticeAdmin {
		// Staff who do not file see what waits to be matched, not the
		// results themselves.
		p.Items = ws.inboxRows(items, match)
		for _, row := range p.Items {
			p.AnyFilable = p.AnyFilable || row.Filable
		}
	}
	if !match {
		if waiting, err := ws.inboxCount(r.Context(), clinical.InboxToMatch); err == nil {
			p.ToMatch = waiting
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"item"})
		status = http.StatusUnprocessableEntity
	}
	ws.pages.Render(w, "inbox", status, p)
}

// inboxDoneMessage says what was just done: q's "done", with the counts
// of a bulk filing.
func inboxDoneMessage(q url.Values) string {
	if q.Get("done") == "bulk-filed" {
		filed, _ := strconv.Atoi(q.Get("filed"))
		left, _ := strconv.Atoi(q.Get("left"))
		msg := fmt.Sprintf("%d normal results filed with no action.", filed)
		if filed == 1 {
			msg = "1 normal result filed with no action."
		}
		if left > 0 {
			msg += fmt.Sprintf(" %d not filed: changed by someone else or no longer normal since the list was shown. Open them to file them.", left)
		}
		return msg
	}
	return map[string]string{
		"filed":       "Filed to the patient's record.",
		"filed-task":  "Filed to the patient's record, and a task created for the action.",
		"matched":     "Matched to the patient's record. It now waits to be filed by a clinician.",
		"not-waiting": "That item is no longer waiting: someone else dealt with it.",
	}[q.Get("done")]
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
