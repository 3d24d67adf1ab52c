// Package onlinetest opens a patient's record online for tests of what
// the service and the API withhold for other reasons (NOPAT, reach,
// redaction): since the service applies each patient's and proxy's
// online access (service/patient_access.go), a test principal without an
// account or a practice decision reads none of the record.
package onlinetest

import (
	"context"
	"errors"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Open opens patient's whole record online to each account in
// subjects: an account proven to NHS login P9 (made if missing), the
// patient aged 16 or over (a date of birth given if none), the
// practice's decision "full record", and a proxy grant of every service
// on the patient's consent, so that each subject may be used as the
// patient or as a proxy. svc writes with no principal (in-process).
func Open(ctx context.Context, svc *service.Service, st store.Store, patient string, subjects ...string) error {
	cur, err := svc.Read(ctx, "Patient", patient)
	if err != nil {
		return err
	}
	res, err := fhir.Unmarshal(cur.Version.Body)
	if err != nil {
		return err
	}
	if res["birthDate"] == nil {
		res["birthDate"] = "1980-05-01"
		if _, err := svc.Update(ctx, "Patient", patient, res, service.Precondition{}); err != nil {
			return err
		}
	}
	now := time.Now()
	level := clinical.RecordAccessChange{Level: clinical.RecordFull}.Resource(nil, patient, "", now)
	if _, err := svc.Create(ctx, "Consent", level, ""); err != nil {
		return err
	}
	var all []string
	for _, c := range clinical.ProxyServices {
		all = append(all, c.Key)
	}
	for _, s := range subjects {
		err := identity.CreateUser(ctx, st, &identity.User{ID: s, Name: s, Role: auth.RolePatient, Patients: []string{patient}, IdentityProof: "P9"}, "")
		if err != nil && !errors.Is(err, identity.ErrUserExists) {
			return err
		}
		grant := clinical.GrantChange{Do: "grant", Basis: clinical.BasisConsent, Services: all}.Resource(nil, patient, "", s, s, "", now)
		if _, err := svc.Create(ctx, "Consent", grant, ""); err != nil {
			return err
		}
	}
	return nil
}
