package workspace

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// formVersionOf says which version of the online request form a
// request's answers were given to (its QuestionnaireResponse's
// questionnaire, url|version), read from the store: the version kept
// even once a later one replaced it. The answers carry the questions'
// words as the patient saw them, so they read the same after any edit.
func (ws *Workspace) formVersionOf(r *http.Request, qr fhir.Resource) string {
	canonical, _ := qr["questionnaire"].(string)
	u, version, _ := strings.Cut(canonical, "|")
	switch {
	case u == clinical.OnlineRequestQuestionnaire:
		return "gpcloud's form, version " + version
	case !strings.HasPrefix(u, clinical.OnlineRequestQuestionnaire+"/"):
		return "Not recorded"
	}
	n, err := strconv.Atoi(version)
	if err != nil {
		return "Not recorded"
	}
	found, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "Questionnaire",
		Params: url.Values{"url": {u}, "version": {version}, "_count": {"1"}}})
	if err != nil {
		return "The practice's form, version " + version
	}
	practice := strings.TrimPrefix(u, clinical.OnlineRequestQuestionnaire+"/")
	f, ok := clinical.PickForms(practice, searchMatches(found.Resource)).Version(n)
	if !ok {
		return "The practice's form, version " + version + " (not found)"
	}
	s := "The practice's form, version " + version + ", signed off by " + f.ApprovedBy.Display + " on " + f.ApprovalDate
	if f.Status == clinical.FormRetired {
		s += " (since replaced by a later version)"
	}
	return s
}
