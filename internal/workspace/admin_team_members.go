package workspace

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// changeTeamMembers saves who is in a team: the Group's members replaced
// by those ticked (only the practice's own staff count), If-Match the
// version the page showed, so a change made meanwhile is told.
func (ws *Workspace) changeTeamMembers(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newTeamsPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	id := r.PathValue("team")
	if !slices.ContainsFunc(p.Teams, func(t clinical.Team) bool { return t.ID == id }) {
		ws.adminMessage(w, r, v, http.StatusNotFound, "No such team", "There is no team of your practice with that id.")
		return
	}
	out, err := ws.opts.Service.Read(r.Context(), "Group", id)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	group, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	_ = r.ParseForm()
	var members []clinical.Ref
	for _, person := range p.People {
		if slices.Contains(r.PostForm["member"], person.Reference) {
			members = append(members, person)
		}
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if _, err := ws.opts.Service.Update(r.Context(), "Group", id, clinical.WithMembers(group, members), service.Precondition{Set: true, Version: version}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed) {
			p.AddError("team-"+id, "Someone else changed this team while you were editing, so nothing was saved. Its members are shown as they are now.")
			adminPages.Render(w, "admin-teams", http.StatusConflict, p)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	redirectDone(w, r, "/workspace/admin/teams", "members")
}
