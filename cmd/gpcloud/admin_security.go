package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// adminToken prints a signed access token for operators and scripts.
func adminToken(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin token", tokenUsage)
	var sc storeConfig
	sc.register(fs)
	scope := fs.String("scope", "", `SMART scopes, e.g. "system/*.read system/*.write" (required)`)
	ttl := fs.Duration("ttl", 10*time.Minute, "lifetime of the token (at most 24h)")
	subject := fs.String("subject", "admin-cli", "who the token is for, as the audit trail will name them")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	scopes, err := auth.ParseScopes(*scope)
	if err != nil || len(scopes.Rules) == 0 {
		if err == nil {
			err = fmt.Errorf("no resource scopes given")
		}
		fmt.Fprintf(stderr, "gpcloud admin token: --scope: %v\n", err)
		return 2
	}
	if *ttl <= 0 || *ttl > tokens.MaxTTL {
		fmt.Fprintf(stderr, "gpcloud admin token: --ttl %s: want more than 0 and at most %s\n", *ttl, tokens.MaxTTL)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud admin token", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	authority, err := tokens.ForStore(ctx, st)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin token: %v\n", err)
		return 1
	}
	p := &auth.Principal{Subject: *subject, ClientID: "gpcloud-admin-cli", Role: auth.RoleSystem, Scopes: scopes}
	token, exp, err := authority.Issue(ctx, p, *ttl)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin token: %v\n", err)
		return 1
	}
	// Issuing a token is a security event: it goes in the audit trail.
	if !auditCommand(ctx, st, audit.Event{Interaction: "token", Action: "E", Principal: p,
		Detail: "access token issued on the command line, scope " + scopes.String() + ", expires " + fhir.FormatInstant(exp)}, stderr) {
		return 1
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "token for %s, scope %q, expires %s\n", *subject, scopes.String(), exp.UTC().Format(time.RFC3339))
	return 0
}

// adminAudit runs audit subcommands.
func adminAudit(args []string, stdout, stderr io.Writer) int {
	if helpAsked(args) {
		fmt.Fprint(stdout, "Usage:\n"+auditUsage)
		return 0
	}
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, "Usage:\n"+auditUsage)
		return 2
	}
	fs := flagSet("admin audit verify", auditUsage)
	var sc storeConfig
	sc.register(fs)
	extract := fs.String("extract", "", "verify the audit trail of an export directory (gpcloud export, $export) instead of a store")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	if *extract != "" {
		// An extract needs no store.
		if fi, err := os.Stat(*extract); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "gpcloud admin audit verify: --extract %s is not a directory\n", *extract)
			return 2
		}
		report, err := audit.VerifyExtract(*extract)
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud admin audit verify: %v\n", err)
			return 1
		}
		return printReport(stdout, report, "in "+*extract)
	}
	ctx, st, done, code := openForCommand("gpcloud admin audit verify", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	report, err := audit.Verify(ctx, st, nil)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin audit verify: %v\n", err)
		return 1
	}
	code = printReport(stdout, report, "")
	if n, err := audit.Pending(ctx, st); err == nil && n > 0 {
		fmt.Fprintf(stdout, "%d staged event records wait to be chained (a running server chains them within a second; one starting, at once)\n", n)
	}
	return code
}

// printReport prints a verification's outcome; the exit status is 1 when
// the chain is broken.
func printReport(stdout io.Writer, report audit.Report, where string) int {
	if where != "" {
		where = " " + where
	}
	if len(report.Problems) > 0 {
		for _, p := range report.Problems {
			fmt.Fprintln(stdout, "BROKEN:", p)
		}
		fmt.Fprintf(stdout, "audit chain BROKEN%s: %d events checked, %d problems\n", where, report.Events, len(report.Problems))
		return 1
	}
	fmt.Fprintf(stdout, "audit chain intact%s: %d events verified\n", where, report.Events)
	return 0
}

// auditCommand records a command-line access to the store (a token
// issued, an export, an import) in the audit trail; a nil Principal is
// the operating-system user who ran the command. Failing to write it
// fails the command: an unaudited access is not acceptable.
func auditCommand(ctx context.Context, st store.Store, ev audit.Event, stderr io.Writer) bool {
	if ev.Principal == nil {
		ev.Principal = osUser()
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if ev.Status == 0 {
		ev.Status = 200
	}
	if err := st.InTx(ctx, func(tx store.Tx) error { return audit.Append(ctx, tx, ev.AuditEvents()) }); err != nil {
		fmt.Fprintf(stderr, "cannot write the audit event: %v\n", err)
		return false
	}
	return true
}

// osUser is the principal of a command-line access: the operating-system
// user who ran it, with the database's own credentials.
func osUser() *auth.Principal {
	who := os.Getenv("USER")
	if who == "" {
		who = "unknown"
	}
	return &auth.Principal{Subject: "os-user:" + who, ClientID: "gpcloud-cli", Role: auth.RoleSystem}
}
