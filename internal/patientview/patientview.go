// Package patientview holds the rules for what of a record its patient
// (or their proxy) reads online, whatever asks: the portal's pages and
// the service, which applies them to everything it returns to a patient
// or proxy (read, vread, search, history, $everything, Binary). Two
// kinds: what is never read online (Withheld: NOPAT, enhanced review,
// unfiled results and letters), and how much each reader reads of a
// record (Access: the record access level and prospective access,
// access.go; a proxy's grant per service and the age rules, proxy.go;
// which type belongs to which, opens.go). The rules live here, below
// both, because internal/clinical depends on the service (through
// terminology) and the service cannot import it; clinical keeps its
// names for them.
package patientview

import (
	"slices"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// NoPatientDisclosure is the v3 ActCode NOPAT label: an entry the
// clinician has hidden from the patient (third-party or harmful
// information, GP Connect 1.6.2). ActCodeSystem is its system; the
// older FHIR address of v3 ActCode is accepted too.
const (
	ActCodeSystem       = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	oldActCodeSystem    = "http://hl7.org/fhir/v3/ActCode"
	NoPatientDisclosure = "NOPAT"
)

// SNOMED is SNOMED CT's system.
const SNOMED = "http://snomed.info/sct"

// EnhancedReviewCodes are the SNOMED codes a clinician records when a
// record needs review before it is opened online (CLINICAL.md
// Workspace 2). The entry is a note for the practice: telling the
// patient their record is held back for review can itself cause the
// harm it guards against.
var EnhancedReviewCodes = []string{"1364731000000104", "1364751000000106"}

// InboxTagSystem is the code system of the inbox's queues (a meta.tag):
// received, to-match, to-file and filed (clinical/inbox.go).
const InboxTagSystem = "https://gpcloud.dev/fhir/CodeSystem/inbox"

// InboxFiled is the queue of items a clinician has filed.
const InboxFiled = "filed"

// HiddenFromPatient reports an entry labelled NOPAT.
func HiddenFromPatient(r fhir.Resource) bool {
	for _, s := range list(mapOf(r["meta"]), "security") {
		if str(s, "code") == NoPatientDisclosure && (str(s, "system") == ActCodeSystem || str(s, "system") == oldActCodeSystem) {
			return true
		}
	}
	return false
}

// IsEnhancedReview reports an entry coded for enhanced review.
func IsEnhancedReview(r fhir.Resource) bool {
	for _, cd := range list(mapOf(r["code"]), "coding") {
		if str(cd, "system") == SNOMED && slices.Contains(EnhancedReviewCodes, str(cd, "code")) {
			return true
		}
	}
	return false
}

// InboxState is the inbox queue an item is in ("" for none: not an
// incoming item, such as a report the practice wrote itself).
func InboxState(r fhir.Resource) string {
	for _, t := range list(mapOf(r["meta"]), "tag") {
		if str(t, "system") == InboxTagSystem {
			return str(t, "code")
		}
	}
	return ""
}

// Unfiled reports an incoming item (a result, a letter) no clinician
// has filed yet: still in the inbox, or waiting to be matched. The GP
// Connect patient-facing rules forbid showing unreviewed results and
// documents (CLINICAL.md Patient portal 2): a patient must not read an
// abnormal result before the practice has, and decided what to do.
func Unfiled(r fhir.Resource) bool {
	s := InboxState(r)
	return s != "" && s != InboxFiled
}

// Withheld reports an entry a patient or proxy never reads online,
// whatever their record access: labelled NOPAT, coded for enhanced
// review, or an incoming item not yet filed.
func Withheld(r fhir.Resource) bool {
	return HiddenFromPatient(r) || IsEnhancedReview(r) || Unfiled(r)
}

// Markers are byte strings one of which a stored resource's JSON holds
// whenever Withheld may be true for it, so that a caller holding raw
// versions decodes only those (the service reads many).
var Markers = [][]byte{[]byte(`"` + NoPatientDisclosure + `"`), []byte(InboxTagSystem),
	[]byte(EnhancedReviewCodes[0]), []byte(EnhancedReviewCodes[1])}

func str(r map[string]any, k string) string {
	s, _ := r[k].(string)
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(r map[string]any, k string) []map[string]any {
	var out []map[string]any
	items, _ := r[k].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
