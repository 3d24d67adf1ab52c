package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/identity"
)

// accountChanges are the "admin user" subcommands that change an
// existing account, with what the audit says of each.
var accountChanges = map[string]string{
	"suspend":             "suspended",
	"reinstate":           "reinstated",
	"reset-second-factor": "given a new second factor",
}

// adminUserChange runs "admin user suspend|reinstate|reset-second-factor":
// the operator's recovery, through identity's operator functions (the
// practice admin's pages use the same changes with the practice rules).
func adminUserChange(args []string, stdout, stderr io.Writer) int {
	name := "admin user " + args[0]
	fs := flagSet(name, userUsage)
	var sc storeConfig
	sc.register(fs)
	username := fs.String("username", "", "the account (required)")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	if *username == "" {
		fmt.Fprintf(stderr, "gpcloud %s: --username is required\n", name)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud "+name, sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	var err error
	switch args[0] {
	case "suspend", "reinstate":
		_, err = identity.OperatorSetSuspended(ctx, st, *username, args[0] == "suspend")
	case "reset-second-factor":
		_, err = identity.OperatorResetSecondFactor(ctx, st, *username)
	}
	switch {
	case errors.Is(err, identity.ErrNoUser):
		fmt.Fprintf(stderr, "gpcloud %s: no account %q\n", name, identity.NormalizeUsername(*username))
		return 1
	case errors.Is(err, identity.ErrAlreadyInState):
		fmt.Fprintf(stderr, "gpcloud %s: %s is already %s\n", name, identity.NormalizeUsername(*username), accountChanges[args[0]])
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "gpcloud %s: %v\n", name, err)
		return 1
	}
	what := "account " + identity.NormalizeUsername(*username) + " " + accountChanges[args[0]] + " on the command line"
	if !auditCommand(ctx, st, audit.Event{Interaction: "account", Action: "U", Detail: what}, stderr) {
		return 1
	}
	fmt.Fprintln(stdout, what)
	return 0
}
