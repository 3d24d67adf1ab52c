// Package intake sorts what arrives in the practice's results and
// documents inbox: a lab's DiagnosticReport or a hospital's
// DocumentReference, tagged "received", goes into a patient's record only
// when clinical.AutoMatch allows (NHS number verified, date of birth and
// surname agreeing, the patient alive, registered and not a temporary
// resident), else onto the list to be matched, with why. Nothing is put
// into a record silently.
//
// It runs in the background in gpcloud serve (Run), so that what a lab
// sends appears in the inbox within seconds whether or not anyone has the
// inbox open, and the workspace runs a bounded pass when the inbox is
// opened (Sort), so that an item that has just arrived is there at once.
// Every change is If-Match the version read: two passes (two users, the
// background and a user, two replicas) sort an item once.
package intake

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Intake sorts received items through the service, as the caller in the
// context it is given: a user's principal when the workspace calls it,
// none (the in-process caller, which reaches every record) in the
// background.
type Intake struct {
	Service *service.Service
	Now     func() time.Time
	Log     *slog.Logger
}

// batch is how many received items of each type a pass reads at once;
// chunk how many it writes in one transaction.
const (
	batch = 200
	chunk = 50
)

// Sort sorts up to limit received items of each type (all of them when
// limit is 0) and returns how many it moved.
func (in *Intake) Sort(ctx context.Context, limit int) (int, error) {
	moved := 0
	// A pass asks for each NHS number's patients once: a lab's run
	// carries many results for the same patient.
	cache := map[string][]clinical.MatchCandidate{}
	for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
		done := 0
		for limit == 0 || done < limit {
			n := batch
			if limit > 0 && limit-done < n {
				n = limit - done
			}
			out, err := in.Service.Search(ctx, service.SearchRequest{Type: typ, FirstPageOnly: true, Params: url.Values{
				"_tag": {clinical.InboxTagSystem + "|" + clinical.InboxReceived}, "_count": {strconv.Itoa(n)}}})
			if err != nil {
				return moved, err
			}
			items := service.Matches(out.Resource)
			progress := 0
			for start := 0; start < len(items); start += chunk {
				end := min(start+chunk, len(items))
				k, err := in.sortChunk(ctx, items[start:end], cache)
				if err != nil {
					return moved, err
				}
				moved += k
				progress += k
			}
			done += len(items)
			// Fewer than asked: the queue is empty. None moved: whatever is
			// left is being sorted by someone else; leave it to them.
			if !out.More || progress == 0 {
				break
			}
		}
	}
	return moved, nil
}

// sortChunk moves items into records or onto the list to be matched, in
// one transaction If-Match each version read; when someone else moved
// one first, the transaction fails whole and each item is moved on its
// own. It returns how many it moved.
func (in *Intake) sortChunk(ctx context.Context, items []fhir.Resource, cache map[string][]clinical.MatchCandidate) (int, error) {
	nexts := make([]fhir.Resource, len(items))
	var entries []any
	for i, res := range items {
		next, err := in.sorted(ctx, res, cache)
		if err != nil {
			return 0, err
		}
		nexts[i] = next
		item := clinical.IncomingOf(res)
		entries = append(entries, map[string]any{"resource": map[string]any(next), "request": map[string]any{
			"method": "PUT", "url": item.Type + "/" + item.ID, "ifMatch": `W/"` + item.Version + `"`}})
	}
	moved := make([]bool, len(items))
	_, err := in.Service.ProcessBundle(ctx, fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{})
	switch {
	case err == nil:
		for i := range moved {
			moved[i] = true
		}
	case refused(err):
		// One at a time: a conflict is someone else's sorting; an item
		// the service refuses (which no sender should be able to make) is
		// left where it is and logged, not allowed to hold up the rest.
		for i, res := range items {
			item := clinical.IncomingOf(res)
			v, _ := strconv.ParseInt(item.Version, 10, 64)
			if _, err := in.Service.Update(ctx, item.Type, item.ID, nexts[i], service.Precondition{Set: true, Version: v}); err != nil {
				if !refused(err) {
					return 0, err
				}
				if !conflict(err) && in.Log != nil {
					in.Log.Error("inbox intake: an item cannot be sorted", "type", item.Type, "id", item.ID, "error", err)
				}
				continue
			}
			moved[i] = true
		}
	default:
		return 0, err
	}
	n := 0
	for i, ok := range moved {
		if !ok {
			continue
		}
		n++
		if clinical.InboxState(nexts[i]) == clinical.InboxToFile {
			if err := in.fulfilRequests(ctx, nexts[i]); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// sorted is an item moved into a record when clinical.AutoMatch allows,
// else onto the list to be matched with why.
func (in *Intake) sorted(ctx context.Context, res fhir.Resource, cache map[string][]clinical.MatchCandidate) (fhir.Resource, error) {
	item := clinical.IncomingOf(res)
	nhs := item.Claimed.NHSNumber
	candidates, ok := cache[nhs]
	if !ok {
		var err error
		if candidates, err = in.candidates(ctx, nhs); err != nil {
			return nil, err
		}
		cache[nhs] = candidates
	}
	id, why := clinical.AutoMatch(item.Claimed, candidates)
	if id == "" {
		return clinical.WithInboxStateWhy(res, clinical.InboxToMatch, why), nil
	}
	for _, c := range candidates {
		if c.Patient.ID() == id {
			return in.Routed(ctx, clinical.MatchTo(res, clinical.BannerOf(c.Patient, in.Now())), c.Patient)
		}
	}
	return clinical.WithInboxStateWhy(res, clinical.InboxToMatch, why), nil
}

// refused: the service answered with a client error (a conflict, a
// failed precondition, an invalid resource), not a failure of its own.
func refused(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500
}

func conflict(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && (fe.Status == http.StatusPreconditionFailed || fe.Status == http.StatusConflict)
}

// Matched does what follows an item being put into a record by hand:
// the test requests it quotes are fulfilled.
func (in *Intake) Matched(ctx context.Context, item fhir.Resource) error {
	return in.fulfilRequests(ctx, item)
}

// fulfilRequests marks the test requests a report in a record quotes as
// having their result, so that they leave the outstanding list. Only a
// request of the same patient is touched.
func (in *Intake) fulfilRequests(ctx context.Context, report fhir.Resource) error {
	patient := clinical.IncomingOf(report).Patient.Reference
	for _, n := range clinical.OrderNumbers(report) {
		out, err := in.Service.Search(ctx, service.SearchRequest{Type: "ServiceRequest",
			Params: url.Values{"identifier": {clinical.OrderNumberSystem + "|" + n}, "status": {"active"}}})
		if err != nil {
			return err
		}
		for _, req := range service.Matches(out.Resource) {
			if clinical.TestRequestOf(req).Patient.Reference != patient {
				continue
			}
			next, ok := clinical.Fulfilled(req)
			if !ok {
				continue
			}
			v, _ := strconv.ParseInt(clinical.TestRequestOf(req).Version, 10, 64)
			if _, err := in.Service.Update(ctx, "ServiceRequest", req.ID(), next, service.Precondition{Set: true, Version: v}); err != nil {
				if conflict(err) {
					continue
				}
				return err
			}
		}
	}
	return nil
}

// candidates are the patients with an NHS number (a practice's, for a
// user), with whether each is a temporary resident.
func (in *Intake) candidates(ctx context.Context, nhs string) ([]clinical.MatchCandidate, error) {
	if !clinical.ValidNHSNumber(nhs) {
		return nil, nil
	}
	out, err := in.Service.Search(ctx, service.SearchRequest{Type: "Patient",
		Params: url.Values{"identifier": {clinical.NHSNumberSystem + "|" + nhs}, "_count": {"10"}}})
	if err != nil {
		return nil, err
	}
	var cs []clinical.MatchCandidate
	for _, p := range service.Matches(out.Resource) {
		c := clinical.MatchCandidate{Patient: p}
		eps, err := in.Service.Search(ctx, service.SearchRequest{Type: "EpisodeOfCare",
			Params: url.Values{"patient": {"Patient/" + p.ID()}, "status": {"active"}, "_count": {"20"}}})
		if err != nil {
			return nil, err
		}
		for _, ep := range service.Matches(eps.Resource) {
			if k := clinical.ViewRegistration(ep, in.Now()).TypeKey; k == "temporary" || k == "immediately-necessary" {
				c.Temporary = true
			}
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Rerank tags the items waiting in the inbox's queues that have no rank
// tag (sorted by a version of gpcloud before ranks were tagged), so that
// the inbox's pages, which read a rank at a time, list them.
func (in *Intake) Rerank(ctx context.Context) (int, error) {
	moved := 0
	for _, state := range []string{clinical.InboxToFile, clinical.InboxToMatch} {
		params := url.Values{"_tag": {clinical.InboxTagSystem + "|" + state}, "_count": {strconv.Itoa(batch)}}
		for _, rank := range clinical.InboxRanks {
			params.Add("_tag:not", clinical.InboxRankSystem+"|"+clinical.InboxRankCode(state, rank))
		}
		for _, typ := range []string{"DiagnosticReport", "DocumentReference"} {
			for {
				out, err := in.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params, FirstPageOnly: true})
				if err != nil {
					return moved, err
				}
				items := service.Matches(out.Resource)
				progress := 0
				for _, res := range items {
					v, _ := strconv.ParseInt(clinical.IncomingOf(res).Version, 10, 64)
					if _, err := in.Service.Update(ctx, typ, res.ID(), clinical.Reranked(res), service.Precondition{Set: true, Version: v}); err != nil {
						if conflict(err) {
							continue
						}
						return moved, err
					}
					progress++
				}
				moved += progress
				if !out.More || progress == 0 {
					break
				}
			}
		}
	}
	return moved, nil
}

// Run tags unranked items once, then sorts everything received every
// interval until ctx ends.
func (in *Intake) Run(ctx context.Context, interval time.Duration) {
	if _, err := in.Rerank(ctx); err != nil && ctx.Err() == nil && in.Log != nil {
		in.Log.Error("inbox ranks", "error", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := in.Sort(ctx, 0); err != nil && ctx.Err() == nil && in.Log != nil {
			in.Log.Error("inbox intake", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
