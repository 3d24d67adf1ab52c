package clinical

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Messages between a patient (or their proxy) and the practice: one
// conversation per patient, each message a FHIR Communication in the
// patient's record (so messages are filed to the record as they are
// written, CLINICAL.md Patient portal 7).
//
// FHIR mapping: Communication.category is MessageKindSystem
// "patient-message" (from the patient's side) or "practice-reply";
// subject is the patient; sent the time; sender the patient, or for a
// proxy the proxy themselves (a display naming who they act for, never
// the patient: nobody sends from another person's profile, the NHS App
// rule); recipient the practice (Organization) or the patient; payload a
// contentString and at most one file: a contentAttachment (its type,
// name and size) and a contentReference to its Binary (written in the
// same transaction, its securityContext the patient); inResponseTo the
// message answered; about the online request (Task) a reply answers.
// A patient's message is "in-progress" until the practice answers it,
// then "completed": the practice's queue is the in-progress ones.

// MessageKindSystem is the CodeSystem of Communication.category.
const MessageKindSystem = "https://gpcloud.dev/fhir/CodeSystem/message-kind"

// Message kinds.
const (
	MessagePatient  = "patient-message"
	MessagePractice = "practice-reply"
)

// Message statuses (FHIR event-status).
const (
	MessageAwaiting = "in-progress"
	MessageAnswered = "completed"
)

// MaxMessageText bounds a message's words.
const MaxMessageText = 2000

// MaxAttachmentBytes bounds an attachment: a phone photo or a scanned
// letter fits; a video does not.
const MaxAttachmentBytes = 5 << 20

// AttachmentTypes are the attachments a message may carry, by the type
// their bytes show (never the name or the type the browser claims):
// photos and PDFs, which a practice opens safely.
var AttachmentTypes = map[string]string{"image/jpeg": "photo", "image/png": "image", "application/pdf": "PDF"}

// Attachment is a file sent with a message.
type Attachment struct {
	Name string
	Data []byte
	// ContentType is what the bytes are, as CheckAttachment found.
	ContentType string
}

// CheckAttachment says what is wrong with a file, or "" and its type.
// The type is sniffed from the bytes (http.DetectContentType), so a
// program renamed .jpg is refused.
func CheckAttachment(a Attachment) (contentType, msg string) {
	switch {
	case len(a.Data) == 0:
		return "", "The selected file is empty"
	case len(a.Data) > MaxAttachmentBytes:
		return "", fmt.Sprintf("The selected file must be smaller than %d MB", MaxAttachmentBytes>>20)
	}
	ct := SniffLetter(a.Data)
	if ct == "" {
		return "", "The selected file must be a photo (JPG or PNG) or a PDF"
	}
	return ct, ""
}

// MessageSender is who sends a message from the portal: the patient, or
// a proxy as themselves. Proxy names the proxy; ProxyRef is their own
// resource (a RelatedPerson), if they have one.
type MessageSender struct {
	PortalRequester
	ProxyRef string
}

// NewMessage is what a patient or proxy writes.
type NewMessage struct {
	Text       string
	Attachment *Attachment
}

// Check returns what is wrong, by field id.
func (m NewMessage) Check() map[string]string {
	errs := map[string]string{}
	t := strings.TrimSpace(m.Text)
	switch {
	case t == "":
		errs["message"] = "Enter your message"
	case len([]rune(t)) > MaxMessageText:
		errs["message"] = fmt.Sprintf("Your message must be %d characters or fewer", MaxMessageText)
	}
	if m.Attachment != nil {
		if _, msg := CheckAttachment(*m.Attachment); msg != "" {
			errs["attachment"] = msg
		}
	}
	return errs
}

// SenderRef is the Communication.sender of a portal message: the patient
// when they send it themselves; a proxy as themselves, with whom they act
// for, never as the patient.
func SenderRef(by MessageSender) map[string]any {
	if by.Proxy == "" {
		return map[string]any{"reference": "Patient/" + by.PatientID, "display": by.PatientName}
	}
	ref := map[string]any{"display": by.Proxy + " (acting for " + by.PatientName + ")"}
	if strings.HasPrefix(by.ProxyRef, "RelatedPerson/") {
		ref["reference"] = by.ProxyRef
	}
	return ref
}

// Resources returns the message as a Communication (and its attachment
// as a Binary, linked by a urn, for one transaction).
func (m NewMessage) Resources(by MessageSender, now time.Time) (comm, binary fhir.Resource, binaryURN string) {
	comm = fhir.Resource{"resourceType": "Communication", "status": MessageAwaiting,
		"category": []any{messageKind(MessagePatient)},
		"subject":  map[string]any{"reference": "Patient/" + by.PatientID, "display": by.PatientName},
		"sent":     now.UTC().Format(time.RFC3339),
		"sender":   SenderRef(by),
		"payload":  []any{map[string]any{"contentString": strings.TrimSpace(m.Text)}},
	}
	if by.Practice != "" {
		comm["recipient"] = []any{map[string]any{"reference": "Organization/" + by.Practice}}
	}
	if m.Attachment != nil {
		ct, _ := CheckAttachment(*m.Attachment)
		binaryURN = "urn:uuid:" + fhir.NewUUID()
		binary = fhir.Resource{"resourceType": "Binary", "contentType": ct,
			"securityContext": map[string]any{"reference": "Patient/" + by.PatientID},
			"data":            base64.StdEncoding.EncodeToString(m.Attachment.Data)}
		name := strings.TrimSpace(m.Attachment.Name)
		if name == "" {
			name = "Attachment"
		}
		// The file's facts as an Attachment, its bytes by a reference (a
		// transaction rewrites references to the urn, not Attachment.url).
		comm["payload"] = append(comm["payload"].([]any),
			map[string]any{"contentAttachment": map[string]any{"contentType": ct, "title": name,
				"size": json.Number(strconv.Itoa(len(m.Attachment.Data))), "creation": now.UTC().Format(time.RFC3339)}},
			map[string]any{"contentReference": map[string]any{"reference": binaryURN, "display": name}})
	}
	return comm, binary, binaryURN
}

// Reply is the practice's answer to a patient: to one of their messages
// (InResponseTo) or to an online request (About), or a message the
// practice starts.
type Reply struct {
	Text string
	// PatientID and PatientName are whom it is to.
	PatientID, PatientName string
	// From is the member of staff (a Practitioner, else a display);
	// Practice the Organization id.
	From     Ref
	Practice string
	// InResponseTo is the Communication answered; About the Task.
	InResponseTo, About string
}

// Check returns what is wrong, by field id.
func (r Reply) Check() map[string]string {
	errs := map[string]string{}
	t := strings.TrimSpace(r.Text)
	switch {
	case t == "":
		errs["reply"] = "Enter your reply"
	case len([]rune(t)) > MaxMessageText:
		errs["reply"] = fmt.Sprintf("The reply must be %d characters or fewer", MaxMessageText)
	}
	return errs
}

// Resource returns the reply as a Communication.
func (r Reply) Resource(now time.Time) fhir.Resource {
	sender := map[string]any{"display": r.From.Display}
	if r.From.Reference != "" {
		sender["reference"] = r.From.Reference
	}
	c := fhir.Resource{"resourceType": "Communication", "status": MessageAnswered,
		"category":  []any{messageKind(MessagePractice)},
		"subject":   map[string]any{"reference": "Patient/" + r.PatientID, "display": r.PatientName},
		"recipient": []any{map[string]any{"reference": "Patient/" + r.PatientID, "display": r.PatientName}},
		"sent":      now.UTC().Format(time.RFC3339),
		"sender":    sender,
		"payload":   []any{map[string]any{"contentString": strings.TrimSpace(r.Text)}},
	}
	if r.InResponseTo != "" {
		c["inResponseTo"] = []any{map[string]any{"reference": r.InResponseTo}}
	}
	if r.About != "" {
		c["about"] = []any{map[string]any{"reference": r.About}}
	}
	return c
}

// Answered returns a patient's message marked answered, or nil when it
// is not one awaiting an answer.
func Answered(res fhir.Resource) fhir.Resource {
	if MessageKindOf(res) != MessagePatient || str(res, "status") != MessageAwaiting {
		return nil
	}
	next := fhir.Resource{}
	for k, v := range res {
		next[k] = v
	}
	next["status"] = MessageAnswered
	return next
}

func messageKind(code string) map[string]any {
	text := map[string]string{MessagePatient: "Message from patient", MessagePractice: "Message from practice"}[code]
	return map[string]any{"coding": []any{map[string]any{"system": MessageKindSystem, "code": code, "display": text}}, "text": text}
}

// MessageKindOf is a Communication's kind, or "" when it is not a portal
// message.
func MessageKindOf(res fhir.Resource) string {
	for _, c := range list(res, "category") {
		for _, cd := range list(c, "coding") {
			if str(cd, "system") == MessageKindSystem {
				return str(cd, "code")
			}
		}
	}
	return ""
}

// Message is a message as the screens show it.
type Message struct {
	ID, Version string
	// FromPractice: the practice wrote it.
	FromPractice bool
	// From names the writer: the patient, a proxy (acting for), a
	// member of staff; SenderRef is their resource, if named.
	From, SenderRef string
	Sent            time.Time
	Text            string
	Awaiting        bool
	// Attachment is the file sent with it, if any: its Binary id, name,
	// type and size.
	Attachment *MessageAttachment
	// About is the Task an answer is about (an online request).
	About string
	// Patient is the subject's id.
	Patient, PatientName string
}

// MessageAttachment is a message's file.
type MessageAttachment struct {
	Binary, Title, ContentType, Kind string
	Size                             int
}

// MessageOf reads a Communication.
func MessageOf(res fhir.Resource) Message {
	m := Message{ID: res.ID(), FromPractice: MessageKindOf(res) == MessagePractice, Awaiting: str(res, "status") == MessageAwaiting}
	if meta := mapOf(res["meta"]); meta != nil {
		m.Version = str(meta, "versionId")
	}
	m.From = str(mapOf(res["sender"]), "display")
	m.SenderRef = str(mapOf(res["sender"]), "reference")
	m.Sent, _ = time.Parse(time.RFC3339, str(res, "sent"))
	subj := mapOf(res["subject"])
	m.Patient, _ = strings.CutPrefix(str(subj, "reference"), "Patient/")
	m.PatientName = str(subj, "display")
	binary := ""
	for _, p := range list(res, "payload") {
		if id, ok := strings.CutPrefix(str(mapOf(p["contentReference"]), "reference"), "Binary/"); ok {
			binary = id
		}
	}
	for _, p := range list(res, "payload") {
		if s := str(p, "contentString"); s != "" {
			m.Text = s
		}
		if a := mapOf(p["contentAttachment"]); a != nil {
			ct := str(a, "contentType")
			size := 0
			switch n := a["size"].(type) {
			case json.Number:
				v, _ := n.Int64()
				size = int(v)
			case float64:
				size = int(n)
			}
			m.Attachment = &MessageAttachment{Binary: binary, Title: str(a, "title"), ContentType: ct, Kind: AttachmentTypes[ct], Size: size}
		}
	}
	for _, a := range list(res, "about") {
		if ref, ok := strings.CutPrefix(str(a, "reference"), "Task/"); ok {
			m.About = ref
		}
	}
	return m
}

// Conversation reads a patient's messages, oldest first, leaving out
// Communications that are not portal messages.
func Conversation(rs []fhir.Resource) []Message {
	var out []Message
	for _, r := range rs {
		if MessageKindOf(r) == "" {
			continue
		}
		out = append(out, MessageOf(r))
	}
	slices.SortStableFunc(out, func(a, b Message) int { return a.Sent.Compare(b.Sent) })
	return out
}

// SizeLabel is a file size as people say it.
func (a MessageAttachment) SizeLabel() string {
	switch {
	case a.Size >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(a.Size)/(1<<20))
	case a.Size >= 1<<10:
		return fmt.Sprintf("%d KB", a.Size>>10)
	}
	return fmt.Sprintf("%d bytes", a.Size)
}

// PortalMessagingURL is the extension that turns online messages off,
// on the practice's Organization (for everyone) or on a Patient (for
// them): valueBoolean false. Messages are on unless it says false
// (CLINICAL.md Patient portal 7; E00056, E00057).
const PortalMessagingURL = "https://gpcloud.dev/fhir/StructureDefinition/portal-messaging"

// MessagingOn reads the setting of an Organization or a Patient.
func MessagingOn(res fhir.Resource) bool {
	for _, e := range list(res, "extension") {
		if str(e, "url") == PortalMessagingURL {
			if on, ok := e["valueBoolean"].(bool); ok {
				return on
			}
		}
	}
	return true
}

// MessagingClosed says why a patient cannot send messages, or "": the
// practice has turned them off for everyone, or for this patient.
func MessagingClosed(practice, patient fhir.Resource) string {
	switch {
	case practice != nil && !MessagingOn(practice):
		return "Your GP surgery does not take messages online at the moment. Contact the surgery by phone or in person. If you need help now, call 111; in an emergency, call 999."
	case patient != nil && !MessagingOn(patient):
		return "Online messages are not available for this record. Contact your GP surgery by phone or in person. If you need help now, call 111; in an emergency, call 999."
	}
	return ""
}

// SetMessaging returns the resource with messages turned on or off (the
// extension removed when on, the default).
func SetMessaging(res fhir.Resource, on bool) fhir.Resource {
	out := cloneResource(res)
	ext := extensionsExcept(out, PortalMessagingURL)
	if !on {
		ext = append(ext, map[string]any{"url": PortalMessagingURL, "valueBoolean": false})
	}
	if len(ext) == 0 {
		delete(out, "extension")
	} else {
		out["extension"] = ext
	}
	return out
}
