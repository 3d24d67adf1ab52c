package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gpcloud/gpcloud/internal/service"
)

// The usage of each admin command: its line with arguments, and what it
// does.
const (
	initUsage = `  gpcloud admin init [--data DIR | --database DSN]
      create an empty store, as serve does on its first start, without
      starting the server; nothing to do when one is there
`
	reindexUsage = `  gpcloud admin reindex [--data DIR | --database DSN] [--type T1,T2]
      rebuild the search indexes of every current resource (after a
      definitions change); safe while the server runs
`
	dropDuplicatesUsage = `  gpcloud admin drop-duplicate-rows [--data DIR | --database DSN]
      delete the search rows that other rows now hold too (Observation's
      patient beside its subject, and the like; a store written by an
      earlier version keeps them for that version's servers); run it once
      every server of the store runs this version or a later one
`
	tokenUsage = `  gpcloud admin token [--data DIR | --database DSN] --scope "system/*.read system/*.write" [--ttl 10m] [--subject NAME]
      print a signed access token on stdout (for operators and scripts)
`
	userUsage = `  gpcloud admin user add [--data DIR | --database DSN] --username NAME --role ROLE [--practice ORG] [--patient ID]... [--fhir-user REF] [--name TEXT] [--password-stdin]
      create an account (gp, nurse, receptionist, practice-admin, patient, proxy); patients and
      proxies normally register with a letter printed on the record's Online access tab instead
  gpcloud admin user suspend|reinstate|reset-second-factor [--data DIR | --database DSN] --username NAME
      suspend or reinstate an account, or give it a new second factor to enrol at its next sign-in
      (recovery where no practice admin can: the only admin's own lost phone); its sessions end
`
	clientUsage = `  gpcloud admin client add [--data DIR | --database DSN] --id ID --kind system|confidential|public --scope SCOPES [--name TEXT] [--jwks FILE | --jwks-url URL] [--redirect-uri URL]... [--launch-url URL] [--mtls]
      register an app (SMART on FHIR) or a backend service
`
	auditUsage = `  gpcloud admin audit verify [--data DIR | --database DSN | --extract DIR]
      check the audit trail's hash chain (of a store, or of an export directory); exit status 1 if it is broken
`
	adminUsage = "Usage:\n" + initUsage + demoUsage + reindexUsage + dropDuplicatesUsage + slotsUsage + reportUsage + tokenUsage + userUsage + clientUsage + auditUsage + gpconnectUsage + terminologyUsage +
		"\nEvery command but init and demo refuses a --data or --database that holds no store (exit status 2).\n"
)

func admin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	switch args[0] {
	case "init":
		return adminInit(args[1:], stdout, stderr)
	case "demo":
		return adminDemo(args[1:], stdout, stderr)
	case "report":
		return report(args[1:], stdout, stderr)
	case "slots":
		return slots(args[1:], stdout, stderr)
	case "reindex":
		return reindex(args[1:], stdout, stderr)
	case "drop-duplicate-rows":
		return dropDuplicateRows(args[1:], stdout, stderr)
	case "token":
		return adminToken(args[1:], stdout, stderr)
	case "audit":
		return adminAudit(args[1:], stdout, stderr)
	case "user":
		return adminUser(args[1:], stdin, stdout, stderr)
	case "client":
		return adminClient(args[1:], stdout, stderr)
	case "gpconnect":
		return adminGPConnect(args[1:], stdout, stderr)
	case "terminology":
		return adminTerminology(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, adminUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gpcloud admin: unknown command %q\n\n%s", args[0], adminUsage)
	return 2
}

func reindex(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin reindex", reindexUsage)
	var sc storeConfig
	sc.register(fs)
	typesFlag := fs.String("type", "", "comma-separated resource types (default: all)")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	ctx, st, done, code := openForCommand("gpcloud admin reindex", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	types := splitList(*typesFlag)
	svc := service.New(st, service.Options{})
	last := time.Now()
	lastType := ""
	progress := func(p service.ReindexProgress) {
		if p.Type != lastType || time.Since(last) >= time.Second {
			rate := float64(p.Done) / max(time.Since(p.Started).Seconds(), 0.001)
			fmt.Fprintf(stderr, "reindex: %s %d (total %d resources, %.0f/s)\n", p.Type, p.TypeDone, p.Done, rate)
			last, lastType = time.Now(), p.Type
		}
	}
	p, err := svc.Reindex(ctx, types, progress)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin reindex: %v (after %d resources)\n", err, p.Done)
		return 1
	}
	elapsed := time.Since(p.Started)
	fmt.Fprintf(stdout, "reindexed %d resources in %s (%.0f/s); %d skipped (written meanwhile, already indexed)\n",
		p.Done, elapsed.Round(time.Millisecond), float64(p.Done)/max(elapsed.Seconds(), 0.001), p.Skipped)
	return 0
}
