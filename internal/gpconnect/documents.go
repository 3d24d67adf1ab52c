package gpconnect

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Access Document: a consumer finds the patient, searches their
// documents (the DocumentReferences of the record: fit notes and letters)
// and retrieves each document as a Binary. Documents held inline in the
// DocumentReference (R4 attachment.data) and those stored as separate
// Binaries of the record (attachment.url "Binary/{id}",
// documents_binary.go) are served as Binary "{index}-{DocumentReference
// id}"; the sharing rules are the structured record's. The author search
// parameter finds the documents an organisation wrote by its ODS code.

const (
	documentsBase       = "/{ods}/STU3/1/gpconnect/documents/fhir"
	profileDocumentRef  = sd + "CareConnect-GPC-DocumentReference-1"
	documentsCapVersion = "1.0.0"
)

var (
	itDocMeta    = interaction{urn + "documents:fhir:rest:read:metadata-1", "organization/*.read", ""}
	itDocPatient = interaction{urn + "documents:fhir:rest:search:patient-1", "patient/*.read", "user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itDocSearch  = interaction{urn + "documents:fhir:rest:search:documentreference-1", "patient/*.read",
		"user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs user/DocumentReference.rs user/Practitioner.rs"}
	itDocBinary = interaction{urn + "documents:fhir:rest:read:binary-1", "patient/*.read",
		"user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs user/DocumentReference.rs user/Binary.rs"}
)

// documentIncludes are the _include parameters the DocumentReference
// search requires.
var documentIncludes = []string{"DocumentReference:subject:Patient", "DocumentReference:custodian:Organization",
	"DocumentReference:author:Organization", "DocumentReference:author:Practitioner"}

func (p *Provider) documentRoutes() {
	d := documentsBase
	p.handle("GET "+d+"/metadata", p.documentsMetadata, itDocMeta)
	p.handle("GET "+d+"/Patient", p.searchPatient, itDocPatient)
	p.handle("GET "+d+"/Patient/{id}/DocumentReference", p.searchDocuments, itDocSearch)
	p.handle("GET "+d+"/Binary/{id}", p.readDocument, itDocBinary)
}

func (p *Provider) documentsMetadata(w http.ResponseWriter, r *http.Request, c *call) *Error {
	writeJSON(w, http.StatusOK, p.capability(c, "GP Connect - Access Document", documentsCapVersion,
		"Access Document: patient search, DocumentReference search (created, author by ODS code and description filters) and Binary "+
			"retrieval of documents held in the record, inline or stored as separate Binaries of any size.",
		[]any{
			resource("Patient", profilePatient, []string{"search-type"}, [2]string{"identifier", "token"}),
			resource("DocumentReference", profileDocumentRef, []string{"search-type"}, [2]string{"created", "date"}, [2]string{"author", "token"}, [2]string{"description", "string"}),
			resource("Binary", "http://hl7.org/fhir/StructureDefinition/Binary", []string{"read"}),
		}, nil))
	return nil
}

// sharedRecord loads a patient whose record may be shared, or the error.
func (p *Provider) sharedRecord(c *call, id string) (*patientRecord, *Error) {
	rec, e := p.loadPatient(c, id, true)
	if e != nil {
		return nil, e
	}
	switch rec.sharing {
	case clinical.NotShared:
		return nil, errorf(PatientNotFound, "no patient with this id is shared by the practice")
	case clinical.Dissented:
		return nil, errorf(NoPatientConsent, "the patient has dissented from sharing their record through GP Connect")
	}
	return rec, nil
}

// searchDocuments: GET Patient/{id}/DocumentReference[?created=ge..&created=le..][&description=..].
func (p *Provider) searchDocuments(w http.ResponseWriter, r *http.Request, c *call) *Error {
	id := r.PathValue("id")
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "created", "description", "author", "_include", "_revinclude:recurse", "_format":
		default:
			return errorf(InvalidParameter, "the search parameter %q is not supported", k)
		}
	}
	var from, to string
	for _, v := range q["created"] {
		switch {
		case strings.HasPrefix(v, "ge") && len(v) >= 12:
			from = v[2:12]
		case strings.HasPrefix(v, "le") && len(v) >= 12:
			to = v[2:12]
		default:
			return errorf(InvalidParameter, "created %q must be ge or le a date", v)
		}
	}
	// The _includes a consumer MUST send (the search page's error table:
	// INVALID_PARAMETER without them); what they name is always included.
	for _, inc := range q["_include"] {
		if !slices.Contains(documentIncludes, inc) {
			return errorf(InvalidParameter, "_include %q is not supported", inc)
		}
	}
	for _, inc := range documentIncludes {
		if !slices.Contains(q["_include"], inc) {
			return errorf(InvalidParameter, "the search must have _include=%s", inc)
		}
	}
	desc := strings.ToLower(q.Get("description"))
	var authorODS string
	if v, ok := q["author"]; ok {
		system, code, found := strings.Cut(v[0], "|")
		if len(v) > 1 || !found || system != ODSSystem || code == "" {
			return errorf(InvalidParameter, "author must be an organisation's ODS code: %s|code", ODSSystem)
		}
		authorODS = code
	}
	if _, e := p.sharedRecord(c, id); e != nil {
		return e
	}
	docs, e := p.compartment(c, "DocumentReference", id, url.Values{"status": {"current"}})
	if e != nil {
		return e
	}
	var out []fhir.Resource
	authors := map[string]bool{}
	orgs := authorOrgs{p: p, read: map[string]fhir.Resource{}}
	for _, d := range docs {
		if withheld(d) || str(d["docStatus"]) == "entered-in-error" {
			continue
		}
		created := str(d["date"])
		day := created[:min(10, len(created))]
		if from != "" && day < from || to != "" && day > to {
			continue
		}
		m := DocumentReferenceSTU3(d, c.base, c.practice)
		if desc != "" && !strings.Contains(strings.ToLower(str(m["description"])), desc) {
			continue
		}
		if authorODS != "" && !orgs.wrote(c, m, authorODS) {
			continue
		}
		out = append(out, m)
		for _, a := range list(m["author"]) {
			if ref := str(obj(a)["reference"]); strings.HasPrefix(ref, "Practitioner/") || strings.HasPrefix(ref, "Organization/") {
				authors[ref] = true
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return str(out[i]["created"]) > str(out[j]["created"]) })
	bundle := searchset(c.base, out)
	if len(out) > 0 {
		// The includes the specification's search asks for: the patient,
		// the custodian and the authors (Practitioners and Organizations).
		entries := list(bundle["entry"])
		add := func(r fhir.Resource) {
			entries = append(entries, map[string]any{"fullUrl": c.base + "/" + r.Type() + "/" + r.ID(), "resource": r})
		}
		if pat, _, e := c.read(p.opts.Service, "Patient", id, PatientNotFound); e == nil {
			add(PatientSTU3(pat, nil))
		}
		if org, _, e := c.read(p.opts.Service, "Organization", c.practice, NoRecordFound); e == nil {
			add(OrganizationSTU3(org))
		}
		refs := make([]string, 0, len(authors))
		for ref := range authors {
			refs = append(refs, ref)
		}
		sort.Strings(refs)
		for _, ref := range refs {
			typ, rid, _ := strings.Cut(ref, "/")
			switch {
			case typ == "Organization" && rid == c.practice: // the custodian, added
			case typ == "Organization":
				if org := orgs.get(c, rid); org != nil {
					add(OrganizationSTU3(org))
				}
			default:
				if pr, _, e := c.read(p.opts.Service, "Practitioner", rid, NoRecordFound); e == nil {
					add(PractitionerSTU3(pr))
				}
			}
		}
		bundle["entry"] = entries
	}
	writeJSON(w, http.StatusOK, bundle)
	return nil
}

// readDocument: GET Binary/{index}-{DocumentReference id}.
func (p *Provider) readDocument(w http.ResponseWriter, r *http.Request, c *call) *Error {
	idx, docID, ok := strings.Cut(r.PathValue("id"), "-")
	n, err := strconv.Atoi(idx)
	if !ok || err != nil || n < 0 || docID == "" {
		return errorf(NoRecordFound, "no document with this id")
	}
	doc, _, e := c.read(p.opts.Service, "DocumentReference", docID, NoRecordFound)
	if e != nil {
		return e
	}
	if withheld(doc) || str(doc["status"]) != "current" || str(doc["docStatus"]) == "entered-in-error" {
		return errorf(NoRecordFound, "no document with this id")
	}
	pid, _ := strings.CutPrefix(str(obj(doc["subject"])["reference"]), "Patient/")
	if _, e := p.sharedRecord(c, pid); e != nil {
		return e
	}
	contents := list(doc["content"])
	if n >= len(contents) {
		return errorf(NoRecordFound, "no document with this id")
	}
	a := obj(obj(contents[n])["attachment"])
	data := str(a["data"])
	if data == "" {
		if bin := storedBinaryID(a); bin != "" {
			return p.serveStoredBinary(w, c, r.PathValue("id"), bin, docID, pid)
		}
		return errorf(NoRecordFound, "the document is not held in the record")
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil {
		return errorf(InternalServerError, "the document's data is damaged")
	}
	writeJSON(w, http.StatusOK, fhir.Resource{"resourceType": "Binary", "id": r.PathValue("id"), "contentType": str(a["contentType"]), "content": data})
	return nil
}

// DocumentReferenceSTU3 maps a DocumentReference; each inline attachment
// points at its Binary on the documents base.
func DocumentReferenceSTU3(d fhir.Resource, baseURL, practice string) fhir.Resource {
	out := base(d, "DocumentReference", profileDocumentRef)
	copyKeys(out, d, "identifier", "status", "docStatus", "type", "subject", "author", "description", "securityLabel")
	dataIdentifier(out, d)
	if date := str(d["date"]); date != "" {
		out["created"], out["indexed"] = date, date
	}
	if _, ok := out["description"]; !ok {
		out["description"] = str(obj(d["type"])["text"])
	}
	out["custodian"] = map[string]any{"reference": "Organization/" + practice}
	var contents []any
	for i, ct := range list(d["content"]) {
		a := obj(obj(ct)["attachment"])
		na := map[string]any{"contentType": a["contentType"]}
		if t := str(a["title"]); t != "" {
			na["title"] = t
		}
		if data := str(a["data"]); data != "" {
			na["url"] = baseURL + "/Binary/" + strconv.Itoa(i) + "-" + d.ID()
			na["size"] = base64.StdEncoding.DecodedLen(len(data))
		} else if storedBinaryID(a) != "" {
			// Stored as a Binary of the record (documents_binary.go).
			na["url"] = baseURL + "/Binary/" + strconv.Itoa(i) + "-" + d.ID()
			if size, ok := a["size"]; ok {
				na["size"] = size
			}
		} else if str(a["url"]) != "" {
			continue // held elsewhere: not the record's to serve
		}
		contents = append(contents, map[string]any{"attachment": na})
	}
	out["content"] = contents
	return out
}

// authorOrgs reads the Organizations documents name as authors, once per
// search.
type authorOrgs struct {
	p    *Provider
	read map[string]fhir.Resource // id → Organization, nil when unreadable
}

func (a authorOrgs) get(c *call, id string) fhir.Resource {
	org, seen := a.read[id]
	if !seen {
		org, _, _ = c.read(a.p.opts.Service, "Organization", id, NoRecordFound)
		a.read[id] = org
	}
	return org
}

// wrote reports a document one of whose authors is the organisation with
// that ODS code: an Organization of the record carrying it, or a logical
// reference by it. An author named only by display has no ODS code and
// never matches.
func (a authorOrgs) wrote(c *call, doc fhir.Resource, ods string) bool {
	for _, au := range list(doc["author"]) {
		m := obj(au)
		if id := obj(m["identifier"]); str(id["system"]) == ODSSystem && str(id["value"]) == ods {
			return true
		}
		if rid, ok := strings.CutPrefix(str(m["reference"]), "Organization/"); ok {
			for _, id := range list(a.get(c, rid)["identifier"]) {
				if str(obj(id)["system"]) == ODSSystem && str(obj(id)["value"]) == ods {
					return true
				}
			}
		}
	}
	return false
}
