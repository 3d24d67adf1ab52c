package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/oauth"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// adminUser runs "admin user add".
func adminUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if helpAsked(args) {
		fmt.Fprint(stdout, "Usage:\n"+userUsage)
		return 0
	}
	if len(args) > 0 && accountChanges[args[0]] != "" {
		return adminUserChange(args, stdout, stderr) // admin_staff.go
	}
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stderr, "Usage:\n"+userUsage)
		return 2
	}
	fs := flagSet("admin user add", userUsage)
	var sc storeConfig
	sc.register(fs)
	username := fs.String("username", "", "login name or email address (required)")
	role := fs.String("role", "", "gp, nurse, receptionist, practice-admin, patient or proxy (required)")
	practice := fs.String("practice", "", "the practice's Organization id (staff)")
	var patients listFlag
	fs.Var(&patients, "patient", "Patient id the user reaches: their own (patient) or one they act for (proxy); repeatable")
	fhirUser := fs.String("fhir-user", "", "the user's own resource, e.g. Practitioner/123 (default Patient/<id> for patients)")
	name := fs.String("name", "", "full name")
	proof := fs.String("identity-proof", "", "how a patient or proxy proved who they are: vouched or photo-id (checked at the practice), or an NHS login level P9, P5 or P0")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (default: generate one and print it)")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	u := &identity.User{ID: identity.NormalizeUsername(*username), Name: *name, Role: auth.Role(*role), Practice: *practice, Patients: patients, FHIRUser: *fhirUser, IdentityProof: *proof}
	if u.FHIRUser == "" && u.Role == auth.RolePatient && len(patients) == 1 {
		u.FHIRUser = "Patient/" + patients[0]
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "gpcloud admin user add: no password on stdin")
			return 2
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password = auth.NewSecret()
	}
	// Bad input is refused before the store is opened (exit 2, as for
	// flags); CreateUser checks again.
	if err := u.Validate(); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin user add: %v\n", err)
		return 2
	}
	if len(password) < identity.MinPasswordLength {
		fmt.Fprintf(stderr, "gpcloud admin user add: a password needs at least %d characters\n", identity.MinPasswordLength)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud admin user add", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	if err := identity.CreateUser(ctx, st, u, password); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin user add: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %s (%s)\n", u.ID, u.Role)
	if !*fromStdin {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	if u.TOTPSecret != "" {
		fmt.Fprintf(stdout, "second factor setup key: %s\n%s\n", u.TOTPSecret, identity.TOTPURI("gpcloud", u.ID, u.TOTPSecret))
	}
	return 0
}

// adminClient runs "admin client add".
func adminClient(args []string, stdout, stderr io.Writer) int {
	if helpAsked(args) {
		fmt.Fprint(stdout, "Usage:\n"+clientUsage)
		return 0
	}
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stderr, "Usage:\n"+clientUsage)
		return 2
	}
	fs := flagSet("admin client add", clientUsage)
	var sc storeConfig
	sc.register(fs)
	c := oauth.Client{}
	fs.StringVar(&c.ID, "id", "", "client id (required)")
	fs.StringVar(&c.Kind, "kind", "", "system (backend service), confidential or public (required)")
	fs.StringVar(&c.Scopes, "scope", "", `the most the client may be granted, e.g. "system/*.rs" (required)`)
	fs.StringVar(&c.Name, "name", "", "name shown on the consent page")
	jwksFile := fs.String("jwks", "", "file holding the client's public keys (a JWKS)")
	fs.StringVar(&c.JWKSURL, "jwks-url", "", "URL where the client publishes its public keys")
	var redirects listFlag
	fs.Var(&redirects, "redirect-uri", "where authorization responses may go; repeatable")
	fs.StringVar(&c.LaunchURL, "launch-url", "", "the app's launch URL, for opening it from a patient's record (EHR launch)")
	fs.BoolVar(&c.MTLS, "mtls", false, "require mutual TLS with a certificate issued to the client id (system clients)")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	c.RedirectURIs = redirects
	if *jwksFile != "" {
		data, err := os.ReadFile(*jwksFile)
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud admin client add: %v\n", err)
			return 1
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(data, &set); err != nil {
			fmt.Fprintf(stderr, "gpcloud admin client add: %s: %v\n", *jwksFile, err)
			return 1
		}
		c.JWKS = &set
	}
	if err := c.Validate(); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin client add: %v\n", err)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud admin client add", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	if err := oauth.RegisterClient(ctx, st, c); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin client add: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "registered client %s (%s)\n", c.ID, c.Kind)
	return 0
}
