package gpconnect

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Documents stored as separate Binaries: a DocumentReference whose
// attachment is a url to a Binary of the record ("Binary/{id}", the way
// the FHIR API and the store keep a document of any size: its bytes are
// content beside the Binary's JSON, never one string in memory) is
// offered as Binary "{index}-{DocumentReference id}" like a document
// held inline, and served by streaming the stored bytes as base64 into
// the STU3 Binary (JSON or XML), so that a large scanned document costs
// no more memory than a small one.

// storedBinaryID is the id of the record's Binary an attachment points
// at ("Binary/x", or an absolute URL ending so), "" when it points at
// none.
func storedBinaryID(attachment map[string]any) string {
	u := str(attachment["url"])
	i := strings.LastIndex(u, "Binary/")
	if i < 0 || i > 0 && u[i-1] != '/' {
		return ""
	}
	id := u[i+len("Binary/"):]
	if id == "" || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return id
}

// serveStoredBinary streams Binary binID as the document docID's
// attachment, as the consumer: the service decides whether they may read
// it (and audits the read); a Binary that does not say it belongs to
// this document or its patient is refused, so that a document cannot
// reach another record's bytes through a stray url.
func (p *Provider) serveStoredBinary(w http.ResponseWriter, c *call, id, binID, docID, patientID string) *Error {
	out, err := p.opts.Service.Read(c.ctx, "Binary", binID)
	if err != nil {
		e := fromService(err, NoRecordFound)
		if e.Code == NoRecordFound || e.HTTPStatus() == http.StatusForbidden {
			return errorf(NoRecordFound, "the document is not held in the record")
		}
		return e
	}
	bin, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return errorf(InternalServerError, "the document's Binary is damaged")
	}
	ctxRef, ok := search.SecurityContext(bin)
	if !ok || !(ctxRef.TargetType == "DocumentReference" && ctxRef.TargetID == docID || ctxRef.TargetType == "Patient" && ctxRef.TargetID == patientID) {
		return errorf(NoRecordFound, "the document is not held in the record")
	}
	data, err := p.opts.Service.OpenBinaryData(c.ctx, out.Version)
	if err != nil {
		return errorf(InternalServerError, "the document's data cannot be read")
	}
	defer data.Close()
	xml := false
	if sr, ok := w.(*statusRecorder); ok {
		xml = sr.xml
	}
	// The envelope's strings are an id of [A-Za-z0-9-.] and a media type
	// from the store: attr escapes them for both formats' quoting.
	if xml {
		w.Header().Set("Content-Type", "application/fhir+xml;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Binary xmlns="http://hl7.org/fhir"><id value="`+attr(id)+
			`"/><contentType value="`+attr(data.ContentType)+`"/><content value="`)
	} else {
		w.Header().Set("Content-Type", "application/fhir+json;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"resourceType":"Binary","id":`+jsonString(id)+`,"contentType":`+jsonString(data.ContentType)+`,"content":"`)
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, data); err != nil {
		return nil // the status is sent: the client sees a cut body
	}
	_ = enc.Close()
	if xml {
		_, _ = io.WriteString(w, `"/></Binary>`)
	} else {
		_, _ = io.WriteString(w, `"}`)
	}
	return nil
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
