package workspace_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// TestAdminPortalSettings: a practice admin sets the portal's ordering
// window and cancellation cut-off; bad values show the error summary and
// save nothing, a stale version is refused, a GP is refused.
func TestAdminPortalSettings(t *testing.T) {
	gp := signedIn(t)
	gp.s.Staff(t, "admin@portal", auth.RolePracticeAdmin, gp.practice.OrganizationID, "")
	admin := gp.asUser(t, "admin@portal")
	ctx := auth.WithPrincipal(context.Background(), admin.principal)
	org := func() (clinical.PortalSettings, string) {
		out, err := gp.s.Service.Read(ctx, "Organization", gp.practice.OrganizationID)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := fhir.Unmarshal(out.Version.Body)
		return clinical.PortalSettingsOf(r), strconv.FormatInt(out.Version.VersionID, 10)
	}
	before, version := org()
	if before != clinical.DefaultPortalSettings {
		t.Fatalf("defaults: %+v", before)
	}
	if code, body := admin.postBody(t, "/workspace/admin/portal", url.Values{"order-window": {"0"}, "cancel-cutoff": {"a day"}, "version": {version}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "nhsuk-error-summary") || !strings.Contains(body, "Days must be a whole number from 1 to 28") || !strings.Contains(body, "Hours must be a whole number from 0 to 72") {
		t.Fatalf("bad values: %d", code)
	}
	if now, v := org(); now != before || v != version {
		t.Fatal("bad values were saved")
	}
	if resp := admin.post(t, "/workspace/admin/portal", url.Values{"order-window": {"10"}, "cancel-cutoff": {"24"}, "version": {version + "9"}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale: %d", resp.StatusCode)
	}
	if code, body := admin.postBody(t, "/workspace/admin/portal", url.Values{"order-window": {"10"}, "cancel-cutoff": {"24"}, "version": {version}}); code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", code, body)
	}
	if now, _ := org(); now.OrderWindowDays != 10 || now.CancelCutoffHours != 24 {
		t.Fatalf("saved %+v", now)
	}
	if code := admin.get(t, "/workspace/admin/portal?done=portal"); code != http.StatusOK {
		t.Fatalf("page: %d", code)
	}
	if resp := gp.post(t, "/workspace/admin/portal", url.Values{"order-window": {"3"}, "cancel-cutoff": {"0"}, "version": {version}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a GP: %d", resp.StatusCode)
	}
}
