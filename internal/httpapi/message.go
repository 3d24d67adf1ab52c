package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// processMessage is $process-message for pathology reports as labs send
// them (DAPB4101 Pathology FHIR: a message Bundle with the Patient and
// Observations as their own entries): each DiagnosticReport becomes an
// inbox item with the lab's patient and results contained
// (clinical.InboxItemsFromMessage), created in one transaction as the
// caller (the lab's system), once per report identifier, so a message
// sent twice files once. The answer is a message Bundle whose
// MessageHeader responds "ok" to the message and names the reports.
// Other messages are refused (422): gpcloud receives no other kind yet.
func (a *API) processMessage(w http.ResponseWriter, r *http.Request) {
	if async := r.URL.Query().Get("async"); async == "true" {
		writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "$process-message: only async=false is supported"))
		return
	}
	msg, err := a.readResource(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	items, info, err := clinical.InboxItemsFromMessage(msg)
	if err != nil {
		writeError(w, r, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeInvalid, "$process-message: %v", err))
		return
	}
	var entries []any
	for _, it := range items {
		req := map[string]any{"method": "POST", "url": "DiagnosticReport"}
		if cond := reportIdentity(it); cond != "" {
			req["ifNoneExist"] = cond
		}
		entries = append(entries, map[string]any{"resource": map[string]any(it), "request": req})
	}
	out, err := a.svc.ProcessBundle(r.Context(), fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}, service.BundleOptions{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	var focus []any
	for _, e := range anyList(out.Resource["entry"]) {
		resp, _ := e.(map[string]any)["response"].(map[string]any)
		if loc, _ := resp["location"].(string); loc != "" {
			if i := strings.Index(loc, "/_history"); i > 0 {
				loc = loc[:i]
			}
			focus = append(focus, map[string]any{"reference": loc})
		}
	}
	header := map[string]any{"resourceType": "MessageHeader", "id": newMessageID(),
		"source":   map[string]any{"name": "gpcloud", "endpoint": a.svc.BaseURL()},
		"response": map[string]any{"identifier": info.ID, "code": "ok"}}
	if ev, ok := msg["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["eventCoding"]; ok {
		header["eventCoding"] = ev
	} else {
		header["eventUri"] = "https://gpcloud.dev/fhir/message-event/response"
	}
	if focus != nil {
		header["focus"] = focus
	}
	writeResourceValue(w, r, http.StatusOK, fhir.Resource{"resourceType": "Bundle", "id": newMessageID(), "type": "message",
		"entry": []any{map[string]any{"fullUrl": "urn:uuid:" + header["id"].(string), "resource": header}}})
}

// reportIdentity is the search that finds a report already received:
// its first identifier.
func reportIdentity(dr fhir.Resource) string {
	ids, _ := dr["identifier"].([]any)
	for _, i := range ids {
		im, _ := i.(map[string]any)
		sys, _ := im["system"].(string)
		val, _ := im["value"].(string)
		if val != "" {
			return "identifier=" + url.QueryEscape(sys+"|"+val)
		}
	}
	return ""
}

func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func anyList(v any) []any { l, _ := v.([]any); return l }
