package workspace

import (
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/video"
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
	// Video is the video consultations' hub (nil: none).
	Video *video.Hub
	// Sends reports whether email ("email") or SMS ("sms") can be sent
	// (nil: neither): a video link is queued only where it will go.
	Sends func(channel string) bool
	// Now is the clock (tests fix it).
	Now func() time.Time
	// ScanUpload, when set, checks each uploaded file (a scanned letter)
	// for viruses before it is stored: the hook point for a scanner.
	ScanUpload ScanFunc
}

// Workspace serves /workspace/.
type Workspace struct {
	opts  Options
	mux   *http.ServeMux
	pages *web.Renderer
	// medicines keeps dm+d products read for prescribing (medication_dmd.go).
	medicines medicineCache
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
	ws.pages = web.NewRenderer(templateFS, "templates", pageFuncs, []string{"shared", "consult-shared", "book-shared", "record-shared", "task-shared", "queue-shared"}, pageNames...)
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
	return web.SignedInPage(ws.opts.Store, ws.opts.Audit, interaction, ws.glassFor, func(w http.ResponseWriter, r *http.Request, pv web.PageVisit) {
		v := &visit{sess: pv.Session, user: pv.User, principal: pv.Principal}
		switch {
		case !pv.User.Role.IsStaff():
			ws.message(w, r, v, http.StatusForbidden, "Not available", "The workspace is for practice staff.")
		case pv.TooLarge:
			ws.message(w, r, v, http.StatusRequestEntityTooLarge, "Too large to send", "What you sent is larger than the workspace accepts (8 MB), so nothing was saved. Go back and choose a smaller file.")
		case !pv.CSRFOK:
			ws.message(w, r, v, http.StatusForbidden, "Form expired", "This form has expired. Go back, reload the page and try again.")
		default:
			h(w, r, v)
		}
	})
}

// glassFor opens a sensitive record with the reason given this session:
// every request on it runs with the glass broken, flagged in the audit
// with the reason (breakglass.go).
func (ws *Workspace) glassFor(r *http.Request, sess *identity.Session, u *identity.User, p *auth.Principal) {
	if id := r.PathValue("id"); id != "" && u.Role.IsClinician() {
		p.BreakGlass = ws.brokenGlass(r.Context(), sess, u, id)
	}
}

// htmx reports a request made by htmx (it wants a fragment, not a page).
func htmx(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
