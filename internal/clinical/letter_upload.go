package clinical

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// A letter scanned in by the practice (the post: clinic letters,
// discharge summaries on paper): staff attach the file to the patient
// whose record is open, with what it is, who wrote it and when, and it
// waits in the inbox for a clinician to read, code and file, as a letter
// that arrived electronically does.

// MaxLetterBytes bounds a scanned letter's file (a few pages of a
// scanner's PDF; a photograph of a page): what a message's attachment
// may be.
const MaxLetterBytes = MaxAttachmentBytes

// LetterKinds are the kinds of document offered, each with its SNOMED CT
// record artefact (UK Core DocumentReference.type).
var LetterKinds = []Choice{
	{"clinic-letter", "Clinic letter"},
	{"discharge", "Discharge summary"},
	{"report", "Report (imaging, a test on paper)"},
	{"other", "Other correspondence"},
}

var letterKindCodes = map[string][2]string{
	"clinic-letter": {"371531000", "Report of clinical encounter"},
	"discharge":     {"373942005", "Discharge summary"},
	"report":        {"371525003", "Clinical procedure report"},
	"other":         {"419891008", "Record artifact"},
}

// SniffLetter says what a file is from its bytes (never its name or the
// browser's word for it): a PDF, a PNG or a JPEG (AttachmentTypes), else
// "". The same check as a message's attachment (CheckAttachment).
func SniffLetter(data []byte) string {
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if _, ok := AttachmentTypes[ct]; ok {
		return ct
	}
	return ""
}

// UploadedLetter is the form: the file and what it is.
type UploadedLetter struct {
	Kind, From, Title string
	Day, Month, Year  string
	FileName          string
	Data              []byte
	// TooLarge: the file was over MaxLetterBytes (it was not read).
	TooLarge bool
}

// Check validates the form against now; errors by field.
func (u UploadedLetter) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	switch {
	case u.TooLarge:
		errs["file"] = fmt.Sprintf("The file must be smaller than %d MB", MaxLetterBytes>>20)
	case len(u.Data) == 0:
		errs["file"] = "Select the scanned letter"
	case SniffLetter(u.Data) == "":
		errs["file"] = "The file must be a PDF, PNG or JPEG"
	}
	if !choiceKnown(LetterKinds, u.Kind) {
		errs["kind"] = "Select what the document is"
	}
	if strings.TrimSpace(u.From) == "" {
		errs["from"] = "Enter who wrote it (the hospital, clinic or service)"
	} else if len(u.From) > 200 {
		errs["from"] = "Who wrote it must be 200 characters or fewer"
	}
	if len(u.Title) > 200 {
		errs["title"] = "The description must be 200 characters or fewer"
	}
	if d, msg := u.date(); msg != "" {
		errs["date"] = msg
	} else if d.After(now) {
		errs["date"] = "The date of the letter must be today or in the past"
	}
	return errs
}

func (u UploadedLetter) date() (time.Time, string) {
	if strings.TrimSpace(u.Day+u.Month+u.Year) == "" {
		return time.Time{}, "Enter the date of the letter"
	}
	d, err := time.ParseInLocation("2006-1-2", strings.TrimSpace(u.Year)+"-"+strings.TrimSpace(u.Month)+"-"+strings.TrimSpace(u.Day), UKTime)
	if err != nil || d.Year() < 1900 {
		return time.Time{}, "The date of the letter must be a real date"
	}
	return d, ""
}

// Resource is the letter as a DocumentReference in the patient's record,
// waiting to be filed: its kind coded, who wrote it, the date of the
// letter (date) beside when it was scanned in (meta), the file attached.
func (u UploadedLetter) Resource(patient Banner, by Ref, now time.Time) fhir.Resource {
	d, _ := u.date()
	ct := SniffLetter(u.Data)
	code := letterKindCodes[u.Kind]
	title := strings.TrimSpace(u.Title)
	if title == "" {
		title = ChoiceLabel(LetterKinds, u.Kind)
	}
	name := strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || strings.ContainsRune(`/\`, r) {
			return -1
		}
		return r
	}, u.FileName)
	if len(name) > 100 {
		name = name[:100]
	}
	subject := map[string]any{"reference": "Patient/" + patient.ID, "display": patient.Name}
	res := fhir.Resource{"resourceType": "DocumentReference", "status": "current",
		"meta":        map[string]any{"tag": []any{map[string]any{"system": InboxSourceSystem, "code": "letter"}}},
		"type":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code[0], "display": code[1]}}, "text": ChoiceLabel(LetterKinds, u.Kind)},
		"subject":     subject,
		"date":        d.Format("2006-01-02") + "T00:00:00" + d.Format("-07:00"),
		"description": title,
		"author":      []any{map[string]any{"display": strings.TrimSpace(u.From)}},
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": ct, "title": firstNonEmpty(name, title),
			"size": len(u.Data), "creation": now.UTC().Format(time.RFC3339), "data": base64.StdEncoding.EncodeToString(u.Data)}}},
		"extension": []any{map[string]any{"url": ScannedByURL, "valueReference": map[string]any{"reference": by.Reference, "display": by.Display}}},
	}
	if by.Reference == "" {
		res["extension"] = []any{map[string]any{"url": ScannedByURL, "valueReference": map[string]any{"display": by.Display}}}
	}
	return WithInboxState(res, InboxToFile)
}

// ScannedByURL records who scanned a letter in.
const ScannedByURL = "https://gpcloud.dev/fhir/StructureDefinition/scanned-by"
