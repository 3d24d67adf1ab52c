package service

import (
	"bytes"
	"context"
	"errors"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Whose record a Binary is. R4's Patient CompartmentDefinition leaves
// Binary out, and a Binary holds nothing but bytes; its securityContext is,
// in the specification's words, "a proxy of the security sensitivity" of
// the Binary. So a Binary is judged by what its securityContext names:
//   - Patient/X: a record of X, reached as X's records are;
//   - a resource of the Patient compartment (the DocumentReference of a
//     scanned letter): reached exactly when that resource is, as it
//     stands now; one that does not exist, or was deleted, is reached by
//     no restricted caller;
//   - any other resource (an Organization, a Practitioner): reference
//     data, reached by anyone allowed to read Binary;
//   - nothing (or another Binary): reached only by callers who reach
//     every record (system scopes, in-process callers). Staff and patients
//     must say whose a Binary is (X-Security-Context on a raw upload):
//     otherwise they could not read it back, and are refused the write.
// The SQL of a search applies the same rule from the Binary's
// securityContext index row (sqlstore's binaryAccess), and an audit event
// about a Binary names the patients of what it stands for.

// seesBinary is sees for a Binary (reach is restricted, not All).
func (s *Service) seesBinary(ctx context.Context, r store.Reader, reach *auth.Reach, res fhir.Resource) (bool, error) {
	ref, ok := search.SecurityContext(res)
	switch {
	case !ok, ref.TargetType == "Binary":
		return false, nil
	case ref.TargetType == "Patient":
		// A file of the patient's own (a message's attachment): a patient
		// or proxy reads it as their online access opens a Binary.
		if ok, err := s.reachesPatient(ctx, r, reach, ref.TargetID); err != nil || !ok {
			return ok, err
		}
		return s.opens(ctx, r, ref.TargetID, "Binary", res)
	case len(definitions.PatientCompartment(ref.TargetType)) == 0:
		return true, nil // reference data
	}
	v, err := r.Read(ctx, ref.TargetType, ref.TargetID)
	if errors.Is(err, store.ErrNotFound) || err == nil && v.Deleted {
		return false, nil
	}
	if err != nil {
		return false, mapStoreError(err)
	}
	if withheld(ctx, v) {
		return false, nil // the file of a withheld entry (withheld.go)
	}
	if patientFacing(ctx) && bytes.Contains(v.Body, redactionMark) {
		// The file of an entry with words removed from online access
		// cannot be redacted: withheld from the patient (redacted.go).
		return false, nil
	}
	target, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
	if err != nil {
		return false, err
	}
	// The Binary's fine-grained scopes were checked on the Binary; the
	// record it stands for is judged by reach alone.
	plain := *reach
	plain.Restrictions = nil
	return s.sees(ctx, r, &plain, ref.TargetType, ref.TargetID, target)
}

// binaryOwners returns the patients whose record a Binary is, for its
// audit event: the patient its securityContext names, or the patients of
// the record it names (of the version before a deletion, if it was
// deleted: whose it was). None for reference data or no securityContext.
func binaryOwners(ctx context.Context, r store.Reader, ref search.ReferenceValue) ([]string, error) {
	switch {
	case ref.TargetType == "Patient":
		return []string{ref.TargetID}, nil
	case ref.TargetType == "" || len(definitions.PatientCompartment(ref.TargetType)) == 0:
		return nil, nil
	}
	v, err := r.Read(ctx, ref.TargetType, ref.TargetID)
	if err == nil && v.Deleted && v.VersionID > 1 {
		v, err = r.VRead(ctx, v.Type, v.ID, v.VersionID-1)
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && v.Deleted {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	target, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
	if err != nil {
		return nil, err
	}
	return search.ReferencesTo(target, definitions.PatientCompartment(ref.TargetType), "Patient"), nil
}

// securityContextOf reads a stored Binary's securityContext ("" target
// when it has none).
func securityContextOf(body []byte) search.ReferenceValue {
	res, err := fhirjson.DecodeResource(body, fhirjson.DefaultLimits)
	if err != nil {
		return search.ReferenceValue{}
	}
	ref, _ := search.SecurityContext(res)
	return ref
}
