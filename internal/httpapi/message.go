package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"strconv"
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
	// A batch of create-only writes, each report at an id made from its
	// identifier: a lab's token may create results but read none, so a
	// conditional create (a search) is not open to it; a report received
	// before answers 412 and counts as received. A failed report leaves
	// the others received, and the lab resends the message.
	var entries []any
	for _, it := range items {
		req := map[string]any{"method": "POST", "url": "DiagnosticReport"}
		if id := reportID(it); id != "" {
			req = map[string]any{"method": "PUT", "url": "DiagnosticReport/" + id, "ifNoneMatch": "*"}
			it = fhir.Resource(maps.Clone(map[string]any(it)))
			it["id"] = id
		}
		entries = append(entries, map[string]any{"resource": map[string]any(it), "request": req})
	}
	out, err := a.svc.ProcessBundle(r.Context(), fhir.Resource{"resourceType": "Bundle", "type": "batch", "entry": entries}, service.BundleOptions{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	var focus []any
	for i, e := range anyList(out.Resource["entry"]) {
		resp, _ := e.(map[string]any)["response"].(map[string]any)
		status, _ := resp["status"].(string)
		switch {
		case strings.HasPrefix(status, "2"):
			loc, _ := resp["location"].(string)
			if j := strings.Index(loc, "/_history"); j > 0 {
				loc = loc[:j]
			}
			focus = append(focus, map[string]any{"reference": loc})
		case strings.HasPrefix(status, "412"):
			focus = append(focus, map[string]any{"reference": entries[i].(map[string]any)["request"].(map[string]any)["url"]}) // received before
		default:
			why := status
			if oo, ok := resp["outcome"].(fhir.Resource); ok {
				if issues, _ := oo["issue"].([]any); len(issues) > 0 {
					if d, _ := issues[0].(map[string]any)["diagnostics"].(string); d != "" {
						why = d
					}
				}
			}
			code, _ := strconv.Atoi(strings.Fields(status + " 500")[0])
			writeError(w, r, fhir.Errorf(code, fhir.CodeProcessing, "$process-message: report %d of the message was not received (%s); "+
				"any others were: send the message again once it is put right", i+1, why))
			return
		}
	}
	header := map[string]any{"resourceType": "MessageHeader", "id": fhir.NewUUID(),
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
	writeResourceValue(w, r, http.StatusOK, fhir.Resource{"resourceType": "Bundle", "id": fhir.NewUUID(), "type": "message",
		"entry": []any{map[string]any{"fullUrl": "urn:uuid:" + header["id"].(string), "resource": header}}})
}

// reportID is the id a report is kept at, made from its first
// identifier (system and value), so that the same report sent again is
// the same resource; "" when it has none.
func reportID(dr fhir.Resource) string {
	ids, _ := dr["identifier"].([]any)
	for _, i := range ids {
		im, _ := i.(map[string]any)
		sys, _ := im["system"].(string)
		val, _ := im["value"].(string)
		if val != "" {
			sum := sha256.Sum256([]byte(sys + "|" + val))
			return "lab-" + hex.EncodeToString(sum[:16])
		}
	}
	return ""
}

func anyList(v any) []any { l, _ := v.([]any); return l }
