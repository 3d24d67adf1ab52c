package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

const demoUsage = `  gpcloud admin demo [--data DIR | --database DSN] [--patients N] [--ods CODE] [--name TEXT]
      create a demo practice to try gpcloud with: its clinicians, a staff
      account for every role (passwords printed) and N registered patients
      with made-up records; creates the store if there is none
`

// adminDemo creates a demo practice.
func adminDemo(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin demo", demoUsage)
	var sc storeConfig
	sc.register(fs)
	n := fs.Int("patients", 50, "how many patients to register")
	ods := fs.String("ods", "Y12345", "the practice's ODS code")
	name := fs.String("name", "Riverside Medical Practice", "the practice's name")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	if *n < 0 || *n > 100000 {
		fmt.Fprintln(stderr, "gpcloud admin demo: --patients must be between 0 and 100000")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// A demo is a first step, as init is: it creates the store if need be.
	st, err := openStore(ctx, sc)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin demo: cannot open or create %s: %v\n", sc.describe(), err)
		return 1
	}
	defer st.Close()
	if !auditCommand(ctx, st, audit.Event{Interaction: "operation", Action: "C", Detail: fmt.Sprintf("gpcloud admin demo: practice %s, %d patients", *ods, *n)}, stderr) {
		return 1
	}
	svc := service.New(st, service.Options{})
	practice, err := demo.Make(ctx, svc, demo.Options{ODS: *ods, Name: *name, Patients: *n})
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin demo: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %s (%s) with %d patients in %s\n\n", practice.Name, practice.ODS, len(practice.Patients), sc.describe())
	accounts := []struct {
		user, name string
		role       auth.Role
		fhirUser   string
		patients   []string
	}{
		{"gp@" + *ods, practice.Clinicians[0].Name, auth.RoleGP, "Practitioner/" + practice.Clinicians[0].ID, nil},
		{"nurse@" + *ods, practice.Clinicians[2].Name, auth.RoleNurse, "Practitioner/" + practice.Clinicians[2].ID, nil},
		{"reception@" + *ods, "Sam Reception", auth.RoleReceptionist, "", nil},
		{"manager@" + *ods, "Pat Manager", auth.RolePracticeAdmin, "", nil},
	}
	if len(practice.Patients) > 0 {
		// The first patient, to try the patient portal (/patient/): their
		// identity vouched for at the practice, so they see their record.
		accounts = append(accounts, struct {
			user, name string
			role       auth.Role
			fhirUser   string
			patients   []string
		}{"patient@" + *ods, "Demo Patient", auth.RolePatient, "Patient/" + practice.Patients[0], []string{practice.Patients[0]}})
	}
	fmt.Fprintln(stdout, "Sign in at /auth/login (after gpcloud serve) as:")
	for _, a := range accounts {
		password := demoPassword()
		u := &identity.User{ID: a.user, Name: a.name, Role: a.role, Practice: practice.OrganizationID, FHIRUser: a.fhirUser, Patients: a.patients}
		if a.role == auth.RolePatient {
			u.Practice, u.IdentityProof = "", "vouched"
		}
		err := identity.CreateUser(ctx, st, u, password)
		switch {
		case errors.Is(err, identity.ErrUserExists):
			fmt.Fprintf(stdout, "  %-22s %-15s (exists already: password unchanged)\n", u.ID, a.role)
			continue
		case err != nil:
			fmt.Fprintf(stderr, "gpcloud admin demo: account %s: %v\n", a.user, err)
			return 1
		}
		fmt.Fprintf(stdout, "  %-22s %-15s password %s\n", u.ID, a.role, password)
		if u.TOTPSecret != "" {
			fmt.Fprintf(stdout, "  %22s second factor: add this key to an authenticator app: %s\n", "", u.TOTPSecret)
		}
	}
	fmt.Fprintln(stdout, "\nStaff accounts need the second factor: the first sign-in shows the key again (and a QR code).")
	fmt.Fprintln(stdout, "The patient account signs in to the patient portal (/patient/).")
	return 0
}

// demoPassword is a random password people can type: four groups of
// letters and digits.
func demoPassword() string {
	s := auth.NewSecret()
	out := ""
	for i := 0; i < 4; i++ {
		if i > 0 {
			out += "-"
		}
		out += s[i*4 : i*4+4]
	}
	return out
}
