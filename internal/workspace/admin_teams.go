package workspace

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// teamsPage lists the practice's staff groups (reception, the nurses, the
// duty doctors: Group resources of practitioners the practice manages)
// with a form to add one.
type teamsPage struct {
	adminPage
	Teams []clinical.Team
	Form  clinical.Team
	// People are the staff who can be members: those with a directory
	// entry (a Practitioner).
	People []clinical.Ref
	Chosen []string
}

func (ws *Workspace) newTeamsPage(r *http.Request, v *visit) (*teamsPage, error) {
	p := &teamsPage{adminPage: ws.adminBase(r, v, "Teams", "Teams")}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Group",
		Params: url.Values{"managing-entity": {"Organization/" + v.user.Practice}, "_count": {"100"}}})
	if err != nil {
		return nil, err
	}
	for _, res := range searchMatches(out.Resource) {
		p.Teams = append(p.Teams, clinical.TeamOf(res))
	}
	slices.SortFunc(p.Teams, func(a, b clinical.Team) int { return compareFold(a.Name, b.Name) })
	staff, err := ws.practiceStaff(r.Context(), v.user.Practice)
	if err != nil {
		return nil, err
	}
	for _, m := range staff {
		if m.User.FHIRUser != "" && !m.User.Suspended {
			p.People = append(p.People, clinical.Ref{Reference: m.User.FHIRUser, Display: m.User.Name + " (" + m.RoleName + ")"})
		}
	}
	return p, nil
}

func (ws *Workspace) teamsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newTeamsPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	adminPages.Render(w, "admin-teams", http.StatusOK, p)
}

// addTeam adds a team of the chosen members (only the practice's own
// staff can be chosen: anything else posted is ignored).
func (ws *Workspace) addTeam(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := ws.newTeamsPage(r, v)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	_ = r.ParseForm()
	p.Chosen = r.PostForm["member"]
	p.Form = clinical.Team{Name: r.PostFormValue("name")}
	for _, person := range p.People {
		if slices.Contains(p.Chosen, person.Reference) {
			p.Form.Members = append(p.Form.Members, person)
		}
	}
	if m := p.Form.Check()["name"]; m != "" {
		p.AddError("name", m)
		adminPages.Render(w, "admin-teams", http.StatusBadRequest, p)
		return
	}
	if _, err := ws.opts.Service.Create(r.Context(), "Group", clinical.GroupOf(p.Form, v.user.Practice), ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	redirectDone(w, r, "/workspace/admin/teams", "team")
}

func compareFold(a, b string) int {
	la, lb := []rune(a), []rune(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		ca, cb := la[i]|0x20, lb[i]|0x20
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(la) - len(lb)
}
