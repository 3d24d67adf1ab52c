package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Practice is what Make created.
type Practice struct {
	OrganizationID string
	ODS, Name      string
	// Clinicians are Practitioner ids with their names.
	Clinicians []Clinician
	Patients   []string // Patient ids
}

// Clinician is a practitioner of the practice.
type Clinician struct {
	ID, Name, Role string // role: gp or nurse
}

// Options shape the demo practice.
type Options struct {
	ODS, Name string
	Patients  int
	// Seed makes the same practice each time (0 is a fixed seed too).
	Seed uint64
	Now  time.Time
}

// Make writes the practice and its patients through svc.
func Make(ctx context.Context, svc *service.Service, o Options) (*Practice, error) {
	if o.ODS == "" {
		o.ODS = "Y12345"
	}
	if o.Name == "" {
		o.Name = "Riverside Medical Practice"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x67706364656d6f))
	p := &Practice{OrganizationID: "org-" + strings.ToLower(o.ODS), ODS: o.ODS, Name: o.Name}
	put := func(res fhir.Resource) error {
		_, err := svc.Update(ctx, res.Type(), res.ID(), res, service.Precondition{})
		return err
	}
	org := fhir.Resource{"resourceType": "Organization", "id": p.OrganizationID, "name": o.Name, "active": true,
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": o.ODS}},
		"type":       []any{map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/organisation-role", "code": "76", "display": "GP practice"}}}},
		"address":    []any{map[string]any{"line": []any{"1 River Road"}, "city": "Leeds", "postalCode": "LS1 4AP"}},
		"telecom":    []any{map[string]any{"system": "phone", "value": "0113 496 0000"}}}
	if err := put(org); err != nil {
		return nil, fmt.Errorf("the practice: %w", err)
	}
	for i, c := range []struct{ given, family, role string }{{"Anita", "Patel", "gp"}, {"Tom", "Hughes", "gp"}, {"Grace", "Okafor", "nurse"}} {
		id := fmt.Sprintf("pr-%s-%d", strings.ToLower(o.ODS), i+1)
		prefix := "Dr"
		if c.role == "nurse" {
			prefix = "Nurse"
		}
		name := prefix + " " + c.given + " " + c.family
		pr := fhir.Resource{"resourceType": "Practitioner", "id": id, "active": true,
			"name": []any{map[string]any{"family": c.family, "given": []any{c.given}, "prefix": []any{prefix}}}}
		if err := put(pr); err != nil {
			return nil, fmt.Errorf("a clinician: %w", err)
		}
		// Their role at the practice, as the practice admin records it:
		// the GPs prescribe (the Medication tab checks it).
		role := clinical.PractitionerRoleOf(clinical.StaffMember{Name: name, Role: c.role, RoleName: map[string]string{"gp": "GP", "nurse": "Nurse"}[c.role],
			Prescriber: c.role == "gp"}, "Practitioner/"+id, p.OrganizationID)
		role["id"] = "prr-" + strings.TrimPrefix(id, "pr-")
		if err := put(role); err != nil {
			return nil, fmt.Errorf("a clinician's role: %w", err)
		}
		p.Clinicians = append(p.Clinicians, Clinician{ID: id, Name: name, Role: c.role})
	}
	if err := makeRotas(ctx, svc, p, o.Now); err != nil {
		return nil, err
	}
	for i := 0; i < o.Patients; i++ {
		id, err := makePatient(ctx, svc, rng, p, i, o.Now)
		if err != nil {
			return nil, fmt.Errorf("patient %d: %w", i+1, err)
		}
		p.Patients = append(p.Patients, id)
	}
	return p, nil
}

// NHSNumber is the n-th test NHS number: 999 then seven digits, with a
// valid check digit. Each n has its own ten numbers, of which the first
// whose check digit is not 10 is taken.
func NHSNumber(n int) string {
	for j := 0; ; j++ {
		base := fmt.Sprintf("999%06d", (n*10+j)%1000000)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(base[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return fmt.Sprintf("%s%d", base, check)
		}
	}
}
