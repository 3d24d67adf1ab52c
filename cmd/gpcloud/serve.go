package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/gpconnect"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/httplimit"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/intake"
	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/portal"
	"github.com/gpcloud/gpcloud/internal/portalnotice"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/web"
	"github.com/gpcloud/gpcloud/internal/workspace"
)

// intakeInterval is how often the background intake sorts the inbox.
const intakeInterval = time.Second

const serveUsage = `  gpcloud serve [--listen ADDR] [--data DIR | --database DSN] [flags]
      run the FHIR server; on its first start it creates the store (the
      data directory, or the schema in the database)
`

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("serve", serveUsage)
	var sc storeConfig
	sc.register(fs)
	listen := fs.String("listen", envOr("GPCLOUD_LISTEN", "localhost:8080"), "address to listen on (env GPCLOUD_LISTEN)")
	baseURL := fs.String("base-url", os.Getenv("GPCLOUD_BASE_URL"), "public base URL used in links and fullUrls, e.g. https://gp.example.org (env GPCLOUD_BASE_URL; default http://<listen>)")
	maxBody := fs.Int64("max-body", envInt64("GPCLOUD_MAX_BODY", httpapi.DefaultMaxBodyBytes), "request body limit in bytes (env GPCLOUD_MAX_BODY)")
	maxInflight := fs.Int64("max-inflight-body", envInt64("GPCLOUD_MAX_INFLIGHT_BODY", httpapi.DefaultMaxInflightBody), "memory budget in bytes for request bodies over 1 MiB worked on at once; one that cannot get its share within 5s is answered 503 (env GPCLOUD_MAX_INFLIGHT_BODY; negative for none)")
	maxBinary := fs.Int64("max-binary-body", envInt64("GPCLOUD_MAX_BINARY_BODY", httpapi.DefaultMaxBinaryBytes), "limit in bytes of a document uploaded raw as a Binary, streamed to storage (env GPCLOUD_MAX_BINARY_BODY)")
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	logLevel := fs.String("log-level", envOr("GPCLOUD_LOG_LEVEL", "info"), "debug, info, warn or error (env GPCLOUD_LOG_LEVEL)")
	exportMax := fs.Int64("export-max-file-size", envInt64("GPCLOUD_EXPORT_MAX_FILE_SIZE", 1<<30), "split each type of a $export into files of at most this many bytes (env GPCLOUD_EXPORT_MAX_FILE_SIZE)")
	exportDir := fs.String("export-dir", os.Getenv("GPCLOUD_EXPORT_DIR"), "directory of Bulk Data $export jobs and files (env GPCLOUD_EXPORT_DIR; default <data>/exports)")
	tlsCert := fs.String("tls-cert", os.Getenv("GPCLOUD_TLS_CERT"), "serve HTTPS with this PEM certificate (chain) file (env GPCLOUD_TLS_CERT)")
	tlsKey := fs.String("tls-key", os.Getenv("GPCLOUD_TLS_KEY"), "the PEM private key of --tls-cert (env GPCLOUD_TLS_KEY)")
	tlsClientCA := fs.String("tls-client-ca", os.Getenv("GPCLOUD_TLS_CLIENT_CA"), "PEM CA bundle that signs system clients' certificates: enables mutual TLS for clients registered with --mtls (env GPCLOUD_TLS_CLIENT_CA)")
	oidcConfig := registerOIDC(fs)
	notifyConfig := registerNotify(fs)
	videoConfig := registerVideo(fs)
	insecure := fs.Bool("insecure-no-auth", envBool("GPCLOUD_INSECURE_NO_AUTH"), "serve FHIR without access tokens: anyone who can reach the port reads and writes everything (local development only; env GPCLOUD_INSECURE_NO_AUTH)")
	gpcPractices := fs.String("gpconnect-practices", os.Getenv("GPCLOUD_GPCONNECT_PRACTICES"), "GP Connect provider practices as ODS=ASID,... (the Ssp-To each answers to), besides those of gpcloud admin gpconnect (env GPCLOUD_GPCONNECT_PRACTICES)")
	gpcProxy := fs.String("gpconnect-proxy", os.Getenv("GPCLOUD_GPCONNECT_PROXY"), "addresses or networks (CIDR,...) of the Spine Secure Proxy, whose GP Connect requests are answered without a TLS client certificate; otherwise only requests presenting a certificate signed by --tls-client-ca are (env GPCLOUD_GPCONNECT_PROXY)")
	gpcConsumers := fs.String("gpconnect-consumers", os.Getenv("GPCLOUD_GPCONNECT_CONSUMERS"), "GP Connect consumer systems allowed, as ASID=ODS,... (env GPCLOUD_GPCONNECT_CONSUMERS)")
	debugAddr := fs.String("debug-listen", os.Getenv("GPCLOUD_DEBUG_LISTEN"), "address for Go profiling endpoints (/debug/pprof/), off when empty; keep it on loopback (env GPCLOUD_DEBUG_LISTEN)")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "gpcloud serve: bad --log-level %q\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	st, err := openStore(ctx, sc)
	if err != nil {
		log.Error("cannot open store", "store", sc.describe(), "error", err)
		return 1
	}
	defer st.Close()
	loadStarterTerminology(ctx, st, log)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Error("cannot listen", "addr", *listen, "error", err)
		return 1
	}
	useTLS := *tlsCert != "" || *tlsKey != ""
	tlsConfig, err := serverTLS(*tlsCert, *tlsKey, *tlsClientCA)
	if err != nil {
		log.Error("TLS", "error", err)
		return 1
	}
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		scheme := "http://"
		if useTLS {
			scheme = "https://"
		}
		base = scheme + displayAddr(ln.Addr().String())
	}
	svc := service.New(st, service.Options{BaseURL: base + "/fhir", Booking: clinical.BookingRules{}})
	if *exportDir == "" {
		*exportDir = filepath.Join(sc.dataDir, "exports")
	}
	jobs, err := bulk.OpenJobs(*exportDir, st, bulk.DefaultExpiry, *exportMax)
	if err != nil {
		log.Error("cannot open the export directory", "dir", *exportDir, "error", err)
		return 1
	}
	defer jobs.Close()
	var authority *tokens.Authority
	if *insecure {
		log.Warn("AUTHENTICATION IS OFF (--insecure-no-auth): every request may read and write every record")
	} else if authority, err = tokens.ForStore(ctx, st); err != nil {
		log.Error("cannot set up token verification", "error", err)
		return 1
	}
	external, err := oidcConfig.external()
	if err != nil {
		log.Error("external sign-in", "error", err)
		return 1
	}
	var oauthSrv *oauth.Server
	if authority != nil {
		oauthSrv = oauth.NewServer(st, authority, base+"/auth/token", base+"/fhir")
		authority.Revoked = oauthSrv.RevocationCache(5 * time.Second)
	}
	trail := audit.NewTrail(st, log)
	// Closed after the server drains (defers run last-in first-out), so
	// the last requests' events are written.
	defer trail.Close()
	messages, err := notifyConfig.start(st, log)
	if err != nil {
		log.Error("cannot set up email or SMS", "error", err)
		return 1
	}
	defer messages.Close()
	// Appointment confirmations, reminders and cancellations go into the
	// outbox only when email or SMS can be sent (otherwise they would
	// wait for ever).
	if messages.Connected(notify.Email) || messages.Connected(notify.SMS) {
		scanner := &appointments.Messages{Store: st, Service: svc, Log: log, Wake: messages.Wake}
		go scanner.Run(ctx, 30*time.Second)
		// The patient is told that the practice has replied (no words of
		// the reply), on the channels that can send.
		notices := &portalnotice.Replies{Store: st, Service: svc, PortalURL: base + "/patient/", Log: log, Wake: messages.Wake,
			Sends: func(ch string) bool { return messages.Connected(notify.Channel(ch)) }}
		go notices.Run(ctx, 30*time.Second)
	}
	// An online request that reaches Escalate or Overdue becomes a Task
	// for the practice managers, whoever has the queue open (none may).
	escalations := &portalnotice.Escalations{Service: svc, Log: log}
	go escalations.Run(ctx, time.Minute)
	// What labs and hospitals send is sorted into records (or onto the
	// list to be matched) in the background, so that it reaches the
	// inbox within seconds whoever has it open; replicas each run it, and
	// If-Match sorts every item once.
	sorter := &intake.Intake{Service: svc, Now: time.Now, Log: log}
	go sorter.Run(ctx, intakeInterval)
	api := httpapi.New(svc, httpapi.Options{
		MaxBodyBytes:    *maxBody,
		MaxInflightBody: *maxInflight,
		MaxBinaryBytes:  *maxBinary,
		Logger:          log,
		Ready:           st.Ping,
		SoftwareVersion: version,
		Exports:         jobs,
		Tokens:          authority,
		Audit:           trail,
	})
	handler := http.Handler(api)
	calls, turnServer, err := videoConfig.start(st, log)
	if err != nil {
		log.Error("video calls", "error", err)
		return 1
	}
	defer calls.Close()
	if turnServer != nil {
		defer turnServer.Close()
	}
	if oauthSrv != nil {
		pages := web.New(web.Options{Store: st, Service: svc, OAuth: oauthSrv, Audit: trail, Origin: base, TLS: useTLS, Logger: log, External: external})
		root := http.NewServeMux()
		root.Handle("/", api)
		for _, pattern := range pages.Routes() {
			root.Handle(pattern, pages)
		}
		staff := workspace.New(workspace.Options{Store: st, Service: svc, Audit: trail, Logger: log, Video: calls,
			Sends: func(ch string) bool { return messages.Connected(notify.Channel(ch)) }})
		for _, pattern := range workspace.Routes() {
			root.Handle(pattern, staff)
		}
		patients := portal.New(portal.Options{Store: st, Service: svc, Audit: trail, Logger: log, Video: calls})
		for _, pattern := range portal.Routes() {
			root.Handle(pattern, patients)
		}
		handler = root
		// The first start prints a one-time link to create the first
		// practice and its administrator.
		if tok, err := identity.NewSetupToken(ctx, st); err != nil {
			log.Error("cannot create the set-up link", "error", err)
		} else if tok != "" {
			fmt.Fprintf(stdout, "No accounts yet: set up the first practice at %s/setup?token=%s (the link works once, for 24 hours; a restart prints the same link until it is used)\n", base, tok)
		}
	}
	// GP Connect's STU3 bases, /{ODS}/STU3/1/gpconnect/..., beside the
	// rest (internal/gpconnect): practices and consumers from the flags,
	// then those `gpcloud admin gpconnect` keeps in the store.
	gpcDir, err := gpconnect.ParseDirectory(*gpcPractices, *gpcConsumers)
	if err != nil {
		log.Error("GP Connect", "error", err)
		return 1
	}
	gpcProxyNets, err := gpconnect.ParsePrefixes(*gpcProxy)
	if err != nil {
		log.Error("GP Connect", "error", err)
		return 1
	}
	handler = gpconnect.New(gpconnect.Options{Service: svc, Audit: trail, Origin: base, Logger: log, SoftwareVersion: version,
		FromProxy: gpconnect.ProxyCheck(gpcProxyNets),
		Directory: gpconnect.Directories{gpcDir, gpconnect.StoreDirectory{Store: st}}, PDS: pds.Local{Service: svc}}).Wrap(handler)
	srv := httpServer(web.SecurityHeaders(useTLS, web.CORS(handler)), httplimit.DefaultBodyRate)
	srv.TLSConfig = tlsConfig
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	if *debugAddr != "" {
		go serveDebug(*debugAddr, log)
	}
	log.Info("gpcloud serving", "fhir_base", base+"/fhir", "listen", ln.Addr().String(), "store", sc.describe(), "version", version)
	fmt.Fprintf(stdout, "gpcloud serving FHIR R4 at %s/fhir\n", base)

	select {
	case err := <-errc:
		log.Error("server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown did not finish cleanly", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// openStore opens PostgreSQL when a database URL is configured, else the
// embedded SQLite store; both run their migrations on open.
func openStore(ctx context.Context, sc storeConfig) (store.Store, error) {
	if sc.database != "" {
		return postgres.Open(ctx, sc.database)
	}
	return sqlite.Open(ctx, sc.dataDir)
}

// displayAddr turns a listen address into one a browser can reach.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if host == "127.0.0.1" || host == "::1" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
