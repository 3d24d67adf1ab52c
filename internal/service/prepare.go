package service

import (
	"net/http"
	"regexp"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/validate"
	"github.com/gpcloud/gpcloud/internal/store"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-\.]{1,64}$`)

// checkType reports an unknown resource type in a URL as 404, the way a
// server answers for a path it does not serve.
func checkType(typ string) error {
	if !definitions.IsResourceType(typ) {
		return fhir.Errorf(http.StatusNotFound, fhir.CodeNotSupported, "unknown resource type %q", typ)
	}
	return nil
}

// ValidID reports a logical id of FHIR's id datatype (1-64 characters
// of A-Z a-z 0-9 - .): safe in a path, a reference or a page's link.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// checkID rejects logical ids that do not match FHIR's id datatype.
func checkID(id string) error {
	if !ValidID(id) {
		return fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "invalid resource id %q: ids are 1-64 characters of A-Z a-z 0-9 - .", id)
	}
	return nil
}

// prepareWrite turns a resource into a store write: it checks the type,
// sets the id and meta, validates, serialises and indexes. The resource is
// modified in place.
func prepareWrite(res fhir.Resource, typ, id string, versionID int64, method string, now time.Time, codes validate.CodeValidator) (store.Write, error) {
	if got := res.Type(); got != typ {
		return store.Write{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "resourceType %q does not match the type %q in the URL", got, typ).At(typ + ".resourceType")
	}
	res["id"] = id
	res.SetVersion(itoa(versionID), now)
	fhir.DropComments(res)
	if typ == "Binary" {
		if err := refuseStoredMarker(res); err != nil {
			return store.Write{}, err
		}
	}
	if err := validationError(validate.ResourceWith(res, validate.Options{Codes: codes})); err != nil {
		return store.Write{}, err
	}
	var content *store.Content
	if typ == "Binary" {
		res, content = moveData(res) // binary.go: the data goes beside the JSON
	}
	body, err := fhir.Marshal(res)
	if err != nil {
		return store.Write{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "cannot encode resource: %v", err)
	}
	return store.Write{
		Version: store.Version{Type: typ, ID: id, VersionID: versionID, LastUpdated: now, Method: method, Body: body},
		Index:   indexOf(res),
		Content: content,
	}, nil
}

// validationError returns nil when issues hold no error, else a *fhir.Error:
// 400 when the resource breaks FHIR's basic structure or formats (it is not
// a well-formed R4 resource), 422 when it is well-formed but breaks a rule
// of its StructureDefinition (cardinality, a required binding).
func validationError(issues []fhir.Issue) error {
	if !fhir.HasErrors(issues) {
		return nil
	}
	status := http.StatusUnprocessableEntity
	for _, is := range issues {
		if is.Code == fhir.CodeStructure || is.Code == fhir.CodeValue {
			status = http.StatusBadRequest
			break
		}
	}
	return &fhir.Error{Status: status, Issues: issues}
}

// Validate checks a resource without storing it ($validate). The resource
// type must equal typ. It returns the OperationOutcome to send: issues on
// failure, one informational issue on success. Profiles are UK Core
// profiles to check besides those the resource claims ($validate's
// profile parameter).
func (s *Service) Validate(res fhir.Resource, typ string, profiles ...string) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	if got := res.Type(); got != typ {
		return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "resourceType %q does not match the type %q in the URL", got, typ).At(typ + ".resourceType")
	}
	fhir.DropComments(res)
	issues := validate.ResourceWith(res, validate.Options{Codes: s.codes, Profiles: profiles})
	if err := validationError(issues); err != nil {
		return Outcome{}, err
	}
	// Warnings (extensible bindings) are reported beside the success.
	ok := append(issues, fhir.Issue{Severity: fhir.SeverityInformation, Code: fhir.CodeInformational, Diagnostics: "validation successful: no errors"})
	return Outcome{Status: http.StatusOK, Resource: fhir.OperationOutcome(ok), Issues: ok}, nil
}
