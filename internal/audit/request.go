package audit

import (
	"encoding/base64"
	"net"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// An HTTP request's audit, the same for the FHIR API and the pages: the
// request is described (who, what, from where), its write transactions
// stage their events with that description (WithRequest), and after the
// response the rest is recorded: what it read, and what it failed to do.

// Describe is what the audit records of a request besides what it
// touched. The query is kept whole (base64, as entity.query is), so that
// searches can be reviewed.
func Describe(r *http.Request, interaction string, p *auth.Principal) Event {
	e := Event{
		Interaction: interaction,
		Action:      ActionOf(r.Method, interaction),
		Principal:   p,
		Address:     remoteHost(r),
		Path:        r.Method + " " + r.URL.Path,
	}
	if r.URL.RawQuery != "" {
		e.Query = base64.StdEncoding.EncodeToString([]byte(r.URL.RawQuery))
	}
	return e
}

// RecordRequest writes a request's event after its response (e is its
// description): what the note holds that its transactions did not stage
// already. A request that only wrote, successfully, needs no more.
func (t *Trail) RecordRequest(e Event, note *Note, status int, refusal string) {
	if status == 0 {
		status = http.StatusOK
	}
	resources, patients, staged := note.Contents()
	if staged {
		t.Wake() // chain the staged events soon
		if len(resources) == 0 && len(patients) == 0 && status < 400 {
			return
		}
	}
	e.Status, e.Detail, e.Resources, e.Patients = status, refusal, resources, patients
	t.Record(e)
}

// ActionOf maps a request to the AuditEvent action code.
func ActionOf(method, interaction string) string {
	switch {
	case interaction == "operation", interaction == "transaction", interaction == "batch", interaction == "export", interaction == "everything":
		return "E"
	case method == http.MethodGet || method == http.MethodHead:
		return "R"
	case method == http.MethodPost && strings.HasPrefix(interaction, "search"):
		return "R"
	case method == http.MethodPost:
		return "C"
	case method == http.MethodPut || method == http.MethodPatch:
		return "U"
	case method == http.MethodDelete:
		return "D"
	}
	return "E"
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
