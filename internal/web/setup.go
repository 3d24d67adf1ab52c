package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
)

type setupField struct{ Name, Label, Hint, Type, Value string }

type setupPage struct {
	Page
	Token  string
	Fields []setupField
}

// setupDonePage confirms the set-up: the practice and the administrator.
type setupDonePage struct {
	Page
	Practice, ODS, Name, Username string
}

// ODSSystem is the NHS ODS organisation code identifier system.
const ODSSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// odsCode: GP practices have a letter and five digits (A81001); other
// organisations other shapes, so any 3-10 letters and digits are taken.
var odsCode = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)

func (s *Server) newSetupPage(r *http.Request, w http.ResponseWriter, token string) *setupPage {
	p := &setupPage{Page: Page{Title: "Set up gpcloud"}, Token: token}
	p.CSRF = s.preSessionCSRF(w, r)
	v := func(name string) string { return r.PostFormValue(name) }
	p.Fields = []setupField{
		{"practice", "Practice name", "", "text", v("practice")},
		{"ods", "Practice ODS code", "For example, A81001", "text", v("ods")},
		{"name", "Your full name", "", "text", v("name")},
		{"username", "Your username or email address", "", "text", v("username")},
		{"password", "Choose a password", "At least 12 characters", "password", ""},
	}
	return p
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if err := identity.CheckSetupToken(r.Context(), s.opts.Store, tok); err != nil {
		message(w, http.StatusNotFound, "Set-up link not valid", err.Error())
		return
	}
	render(w, "setup", http.StatusOK, s.newSetupPage(r, w, tok))
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	p := s.newSetupPage(r, w, tok)
	if !checkCSRF(r, nil) {
		p.AddError("practice", "The form expired: please try again")
		render(w, "setup", http.StatusBadRequest, p)
		return
	}
	if err := identity.CheckSetupToken(r.Context(), s.opts.Store, tok); err != nil {
		message(w, http.StatusNotFound, "Set-up link not valid", err.Error())
		return
	}
	practice, ods := strings.TrimSpace(r.PostFormValue("practice")), strings.ToUpper(strings.TrimSpace(r.PostFormValue("ods")))
	name, username, password := strings.TrimSpace(r.PostFormValue("name")), identity.NormalizeUsername(r.PostFormValue("username")), r.PostFormValue("password")
	if practice == "" {
		p.AddError("practice", "Enter the practice name")
	}
	if !odsCode.MatchString(ods) {
		p.AddError("ods", "Enter the practice ODS code, for example A81001")
	}
	if name == "" {
		p.AddError("name", "Enter your full name")
	}
	admin := &identity.User{ID: username, Name: name, Role: auth.RolePracticeAdmin, Practice: "pending"}
	if err := admin.Validate(); err != nil {
		p.AddError("username", "Enter a username of 3 to 128 letters, digits and . _ @ + -")
	}
	if len(password) < identity.MinPasswordLength {
		p.AddError("password", "Choose a password of at least 12 characters")
	}
	if len(p.Errors) > 0 {
		render(w, "setup", http.StatusBadRequest, p)
		return
	}
	org := fhir.Resource{"resourceType": "Organization", "active": true, "name": practice,
		"identifier": []any{map[string]any{"system": ODSSystem, "value": ods}},
		"type": []any{map[string]any{"coding": []any{map[string]any{
			"system": "https://fhir.nhs.uk/CodeSystem/organisation-role", "code": "76", "display": "GP PRACTICE"}}}}}
	out, err := s.opts.Service.Create(r.Context(), "Organization", org, "identifier="+ODSSystem+"|"+ods)
	if err != nil {
		s.opts.Logger.Error("setup: cannot create the practice", "error", err)
		message(w, http.StatusInternalServerError, "Something went wrong", "The practice could not be created.")
		return
	}
	admin.Practice = out.Version.ID
	if err := identity.CompleteSetup(r.Context(), s.opts.Store, tok, admin, password); err != nil {
		if errors.Is(err, identity.ErrSetupUsed) {
			message(w, http.StatusNotFound, "Set-up link not valid", err.Error())
			return
		}
		s.opts.Logger.Error("setup: cannot create the administrator", "error", err)
		message(w, http.StatusInternalServerError, "Something went wrong", "The administrator could not be created.")
		return
	}
	s.recordSignIn(r, "setup", admin, http.StatusOK, "first practice "+ods+" and its administrator created")
	// A confirmation, not a bare sign-in page: the person setting up
	// sees what was created and what comes next (the second factor).
	render(w, "setup-done", http.StatusOK, &setupDonePage{Page: Page{Title: "Practice created"},
		Practice: practice, ODS: ods, Name: admin.Name, Username: admin.ID})
}
