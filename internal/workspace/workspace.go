package workspace

import (
	"embed"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Options configure the workspace.
type Options struct {
	Store   store.Store
	Service *service.Service
	// Audit records every page view and change, as the API's requests.
	Audit  *audit.Trail
	Logger *slog.Logger
	// Now is the clock (tests fix it).
	Now func() time.Time
}

// Workspace serves /workspace/.
type Workspace struct {
	opts  Options
	mux   *http.ServeMux
	pages *web.Renderer
}

// New returns the workspace.
func New(opts Options) *Workspace {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ws := &Workspace{opts: opts, mux: http.NewServeMux()}
	ws.pages = web.NewRenderer(templateFS, "templates", pageFuncs, []string{"shared", "consult-shared", "book-shared", "record-shared", "task-shared"}, pageNames...)
	ws.routes()
	return ws
}

func (ws *Workspace) ServeHTTP(w http.ResponseWriter, r *http.Request) { ws.mux.ServeHTTP(w, r) }

// Routes lists the patterns the workspace handles, for mounting it.
func Routes() []string { return []string{"/workspace/"} }

// visit is one signed-in request: who, and the context that carries
// their principal and the request's audit.
type visit struct {
	sess      *identity.Session
	user      *identity.User
	principal *auth.Principal
}

// staff wraps a page for practice staff: the signed-in user's principal
// goes into the request's context (every service call runs as them), a
// form's CSRF token is checked, and the request is audited as the API's
// are. Signed-out browsers are sent to sign in and back; others (a
// patient's account) get 403.
func (ws *Workspace) staff(interaction string, h func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, u := web.SignedIn(r, ws.opts.Store)
		if u == nil {
			http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		p := web.PrincipalFor(u)
		if id := r.PathValue("id"); id != "" && u.Role.IsClinician() {
			// A sensitive record opened with a reason this session: every
			// request on it runs with the glass broken, flagged in the
			// audit with the reason (breakglass.go).
			p.BreakGlass = ws.brokenGlass(r.Context(), sess, u, id)
		}
		ctx, note := audit.WithNote(r.Context())
		ctx = auth.WithPrincipal(ctx, p)
		describe := audit.Describe(r, interaction, p)
		if ws.opts.Audit != nil {
			ctx = audit.WithRequest(ctx, describe)
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if ws.opts.Audit != nil {
				ws.opts.Audit.RecordRequest(describe, note, rec.status, "")
			}
		}()
		v := &visit{sess: sess, user: u, principal: p}
		switch {
		case !u.Role.IsStaff():
			ws.message(rec, r, v, http.StatusForbidden, "Not available", "The workspace is for practice staff.")
			return
		case r.Method == http.MethodPost && !web.CheckCSRF(r, sess):
			ws.message(rec, r, v, http.StatusForbidden, "Form expired", "This form has expired. Go back, reload the page and try again.")
			return
		}
		h(rec, r.WithContext(ctx), v)
	}
}

// statusRecorder remembers the status written, for the audit.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// htmx reports a request made by htmx (it wants a fragment, not a page).
func htmx(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
