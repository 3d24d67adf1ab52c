package portalnotice

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Escalations pushes online requests that wait too long: each scan reads
// the open requests, and one that has reached Escalate or Overdue
// (clinical.RequestQueueAge) gets a Task for the practice's managers
// (clinical.EscalationTeam), created once per request and level by a
// conditional create on its identifier, so that replicas scanning at
// once, and every later scan, make no second one.
//
// Why a background scan and not when the queue is opened: the hazard is
// the request nobody is looking at (H-1010); a push that waits for
// someone to open the queue reaches only those who already see it, and a
// page that writes when read would be a GET with side effects. The scan
// reads at most maxOpen open requests each minute: a cheap search.
type Escalations struct {
	Service *service.Service
	Log     *slog.Logger
}

// maxOpen bounds the open requests read per scan; a practice with more
// has a problem the queue's own count shows.
const maxOpen = 1000

// Scan raises the Tasks due now and returns how many it created.
func (e *Escalations) Scan(ctx context.Context, now time.Time) (int, error) {
	res, err := e.Service.Search(ctx, service.SearchRequest{Type: "Task", Params: url.Values{
		"code":   {clinical.PortalTaskSystem + "|" + clinical.TaskOnlineRequest},
		"status": {clinical.TaskRequested + "," + clinical.TaskInProgress}, "_sort": {"authored-on"}, "_count": {fmt.Sprint(maxOpen)}}})
	if err != nil {
		return 0, err
	}
	teams := map[string]clinical.Ref{} // by the request's practice
	created := 0
	for _, req := range service.Matches(res.Resource) {
		practice := str(mapOfAny(req["owner"])["reference"])
		team, ok := teams[practice]
		if !ok {
			if team, err = e.team(ctx, practice); err != nil {
				return created, err
			}
			teams[practice] = team
		}
		task, key := clinical.Escalation(req, team, now)
		if task == nil {
			continue
		}
		out, err := e.Service.Create(ctx, "Task", task, "identifier="+url.QueryEscape(clinical.EscalationSystem+"|"+key))
		if err != nil {
			return created, fmt.Errorf("escalating Task/%s: %w", req.ID(), err)
		}
		if out.Status == http.StatusCreated {
			created++
		}
	}
	return created, nil
}

// team is where a practice's escalations go (none found: unassigned).
func (e *Escalations) team(ctx context.Context, practice string) (clinical.Ref, error) {
	if !strings.HasPrefix(practice, "Organization/") {
		return clinical.Ref{}, nil
	}
	res, err := e.Service.Search(ctx, service.SearchRequest{Type: "Group", Params: url.Values{
		"managing-entity": {practice}, "_count": {"100"}}})
	if err != nil {
		return clinical.Ref{}, err
	}
	var teams []clinical.Team
	for _, g := range service.Matches(res.Resource) {
		teams = append(teams, clinical.TeamOf(g))
	}
	team, _ := clinical.EscalationTeam(teams)
	return team, nil
}

// Run scans every interval until ctx ends.
func (e *Escalations) Run(ctx context.Context, interval time.Duration) {
	loop(ctx, interval, "online request escalations", e.Log, e.Scan)
}

func mapOfAny(v any) map[string]any { m, _ := v.(map[string]any); return m }
