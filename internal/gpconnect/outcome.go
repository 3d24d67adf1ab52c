package gpconnect

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Spine error codes (Spine-ErrorOrWarningCode-1) GP Connect answers with,
// each with its HTTP status and FHIR issue type as the specification's
// error handling guidance gives them.
const (
	BadRequest              = "BAD_REQUEST"
	InvalidResource         = "INVALID_RESOURCE"
	InvalidParameter        = "INVALID_PARAMETER"
	InvalidIdentifierSystem = "INVALID_IDENTIFIER_SYSTEM"
	InvalidIdentifierValue  = "INVALID_IDENTIFIER_VALUE"
	InvalidNHSNumber        = "INVALID_NHS_NUMBER"
	InvalidDemographics     = "INVALID_PATIENT_DEMOGRAPHICS"
	PatientNotFound         = "PATIENT_NOT_FOUND"
	NoRecordFound           = "NO_RECORD_FOUND"
	NoPatientConsent        = "NO_PATIENT_CONSENT"
	AccessDenied            = "ACCESS_DENIED"
	NoRelationship          = "NO_RELATIONSHIP"
	DuplicateRejected       = "DUPLICATE_REJECTED"
	ReferenceNotFound       = "REFERENCE_NOT_FOUND"
	NotImplemented          = "NOT_IMPLEMENTED"
	FHIRConstraintViolation = "FHIR_CONSTRAINT_VIOLATION"
	InternalServerError     = "INTERNAL_SERVER_ERROR"
)

// spineCodes gives each code its status, issue type and display.
var spineCodes = map[string]struct {
	status         int
	issue, display string
}{
	BadRequest:              {400, "invalid", "Submitted request is malformed / invalid."},
	InvalidResource:         {422, "invalid", "Submitted resource is not valid."},
	InvalidParameter:        {422, "invalid", "Submitted parameter is not valid."},
	InvalidIdentifierSystem: {400, "invalid", "Invalid identifier system"},
	InvalidIdentifierValue:  {400, "invalid", "Invalid identifier value"},
	InvalidNHSNumber:        {400, "value", "NHS number invalid"},
	InvalidDemographics:     {400, "invalid", "Invalid patient demographics"},
	PatientNotFound:         {404, "not-found", "Patient record not found"},
	NoRecordFound:           {404, "not-found", "No record found"},
	NoPatientConsent:        {403, "forbidden", "Patient has not provided consent to share data"},
	AccessDenied:            {403, "forbidden", "Access denied"},
	NoRelationship:          {403, "forbidden", "No legitimate relationship"},
	DuplicateRejected:       {409, "duplicate", "Create would lead to creation of a duplicate resource"},
	ReferenceNotFound:       {422, "invalid", "Referenced resource not found"},
	NotImplemented:          {501, "not-supported", "FHIR resource or operation not implemented at server"},
	FHIRConstraintViolation: {422, "invalid", "FHIR constraint violated"},
	InternalServerError:     {500, "exception", "Unexpected internal server error"},
}

// OperationOutcome profile and the code system of the Spine codes.
const (
	outcomeProfile  = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"
	spineCodeSystem = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"
)

// Error is a GP Connect failure: a Spine code and what went wrong.
type Error struct {
	Code        string
	Diagnostics string
	// Status overrides the code's usual HTTP status (a 415 or 405 is a
	// BAD_REQUEST by code but has its own status).
	Status int
}

func (e *Error) Error() string { return e.Code + ": " + e.Diagnostics }

// HTTPStatus is the status the error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if c, ok := spineCodes[e.Code]; ok {
		return c.status
	}
	return http.StatusInternalServerError
}

// errorf returns an *Error with code and a formatted diagnostic.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Diagnostics: fmt.Sprintf(format, args...)}
}

// Outcome is the STU3 GPConnect-OperationOutcome-1 for e.
func (e *Error) Outcome() fhir.Resource {
	c, ok := spineCodes[e.Code]
	if !ok {
		c = spineCodes[InternalServerError]
	}
	return fhir.Resource{
		"resourceType": "OperationOutcome",
		"meta":         map[string]any{"profile": []any{outcomeProfile}},
		"issue": []any{map[string]any{
			"severity": "error",
			"code":     c.issue,
			"details": map[string]any{"coding": []any{map[string]any{
				"system": spineCodeSystem, "code": e.Code, "display": c.display}}},
			"diagnostics": e.Diagnostics,
		}},
	}
}

// fromService turns what the service returned into a GP Connect error:
// its FHIR errors keep their meaning (a taken slot is a 409
// DUPLICATE_REJECTED, a booking rule 422 INVALID_RESOURCE); anything
// else is an internal error whose detail is not shown to the consumer.
func fromService(err error, notFound string) *Error {
	var ge *Error
	if errors.As(err, &ge) {
		return ge
	}
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return errorf(InternalServerError, "the request could not be completed")
	}
	msg := fe.Error()
	switch fe.Status {
	case http.StatusNotFound, http.StatusGone:
		return errorf(notFound, "%s", msg)
	case http.StatusConflict:
		return errorf(DuplicateRejected, "%s", msg)
	case http.StatusPreconditionFailed:
		return &Error{Code: BadRequest, Diagnostics: msg, Status: http.StatusConflict}
	case http.StatusForbidden, http.StatusUnauthorized:
		return errorf(AccessDenied, "%s", msg)
	case http.StatusUnprocessableEntity:
		return errorf(InvalidResource, "%s", msg)
	case http.StatusBadRequest:
		return errorf(BadRequest, "%s", msg)
	}
	return errorf(InternalServerError, "the request could not be completed")
}
