package workspace_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// asUser signs a user of the session's stack in over plain HTTP.
func (se *session) asUser(t *testing.T, username string) *session {
	t.Helper()
	ctx := context.Background()
	u, err := identity.GetUser(ctx, se.s.Store, username)
	if err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := identity.StartSession(ctx, se.s.Store, u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sess.Verified = true
	if err := sess.Save(ctx, se.s.Store); err != nil {
		t.Fatal(err)
	}
	return &session{s: se.s, cookie: cookie, csrf: sess.CSRF, practice: se.practice, principal: principalOf(u)}
}

func principalOf(u *identity.User) *auth.Principal {
	p := u.Principal()
	p.Scopes = auth.ScopesOf(u.Role)
	return &p
}

// TestAdminStaleEditsRefused: closing a site or changing a team with the
// version an admin was shown, after someone else changed it, is refused
// (409) and writes nothing; with the current version it is saved. Every
// admin form is refused to a GP (403).
func TestAdminStaleEditsRefused(t *testing.T) {
	gp := signedIn(t)
	gp.s.Staff(t, "admin@http", auth.RolePracticeAdmin, gp.practice.OrganizationID, "")
	admin := gp.asUser(t, "admin@http")
	ctx := auth.WithPrincipal(context.Background(), admin.principal)
	site := clinical.Site{Name: "Hill", Kind: "branch", Lines: "1 Hill Rd", Postcode: "LS6 2AA"}
	out, err := gp.s.Service.Create(ctx, "Location", clinical.LocationOf(site, gp.practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	loc := out.Version.ID
	// Someone else changes it (version 2).
	res, _ := fhir.Unmarshal(out.Version.Body)
	res["name"] = "Hill Branch"
	if _, err := gp.s.Service.Update(ctx, "Location", loc, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		out, err := gp.s.Service.Read(ctx, "Location", loc)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := fhir.Unmarshal(out.Version.Body)
		return r["status"].(string)
	}
	if resp := admin.post(t, "/workspace/admin/sites/"+loc, url.Values{"action": {"close"}, "version": {"1"}}); resp.StatusCode != http.StatusConflict || status() != "active" {
		t.Fatalf("a stale close: %d, status %s", resp.StatusCode, status())
	}
	if resp := admin.post(t, "/workspace/admin/sites/"+loc, url.Values{"action": {"close"}, "version": {"2"}}); resp.StatusCode != http.StatusSeeOther || status() != "inactive" {
		t.Fatalf("a current close: %d, status %s", resp.StatusCode, status())
	}

	team, err := gp.s.Service.Create(ctx, "Group", clinical.GroupOf(clinical.Team{Name: "Nurses"}, gp.practice.OrganizationID), "")
	if err != nil {
		t.Fatal(err)
	}
	gpRef := "Practitioner/" + gp.practice.Clinicians[0].ID
	members := func() int {
		out, _ := gp.s.Service.Read(ctx, "Group", team.Version.ID)
		r, _ := fhir.Unmarshal(out.Version.Body)
		return len(clinical.TeamOf(r).Members)
	}
	if resp := admin.post(t, "/workspace/admin/teams/"+team.Version.ID, url.Values{"member": {gpRef}, "version": {"7"}}); resp.StatusCode != http.StatusConflict || members() != 0 {
		t.Fatalf("a stale team change: %d, %d members", resp.StatusCode, members())
	}
	if resp := admin.post(t, "/workspace/admin/teams/"+team.Version.ID, url.Values{"member": {gpRef}, "version": {"1"}}); resp.StatusCode != http.StatusSeeOther || members() != 1 {
		t.Fatalf("a current team change: %d, %d members", resp.StatusCode, members())
	}

	// An empty staff form is refused with every error, no role included.
	if resp := admin.post(t, "/workspace/admin/staff/new", url.Values{}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an empty staff form: %d", resp.StatusCode)
	}
	// The admin cannot suspend themselves: refused, shown on their page.
	if resp := admin.post(t, "/workspace/admin/staff/admin@http/suspend", url.Values{"action": {"suspend"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an admin suspending themselves: %d", resp.StatusCode)
	}

	// A GP is refused every admin form, whatever it posts.
	for _, path := range []string{"/workspace/admin/sites", "/workspace/admin/sites/" + loc, "/workspace/admin/staff/new",
		"/workspace/admin/staff/admin@http/role", "/workspace/admin/staff/admin@http/suspend", "/workspace/admin/staff/admin@http/second-factor",
		"/workspace/admin/staff/admin@http/registration", "/workspace/admin/teams", "/workspace/admin/teams/" + team.Version.ID, "/workspace/admin/apps"} {
		if resp := gp.post(t, path, url.Values{"action": {"suspend"}, "role": {"gp"}, "name": {"X"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a GP posting %s: %d", path, resp.StatusCode)
		}
	}
	if u, _ := identity.GetUser(context.Background(), gp.s.Store, "admin@http"); u.Suspended || u.Role != auth.RolePracticeAdmin {
		t.Errorf("the GP's posts changed the admin: %+v", u)
	}
}
