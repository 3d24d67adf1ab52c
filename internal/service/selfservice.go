package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Patients change their own contact details online (the GP contract's
// digital requirement since October 2021; CLINICAL.md Patient portal 7):
// the patient role may update a Patient, but only its telecom (phone
// numbers and email addresses) and only one that exists (an update never
// creates a Patient for them). Name, NHS number, address, registration
// and everything else stay for the practice to change: an address
// decides the practice's catchment and what PDS holds, and the practice
// checks it first. A proxy changes nothing of the record (nobody acts
// from another person's profile). Hazard H-1032.

// selfServiceFields are what a patient's own update may differ in: the
// telecom, and what the server sets or derives (meta, the narrative).
var selfServiceFields = []string{"telecom", "meta", "text"}

// checkSelfService refuses a patient's write to a Patient that changes
// more than its telecom. Other callers and types pass.
func checkSelfService(ctx context.Context, r store.Reader, typ, id string, res fhir.Resource) error {
	p, ok := auth.FromContext(ctx)
	if !ok || typ != "Patient" || p.Role != auth.RolePatient {
		return nil
	}
	refuse := fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "a patient may change only their own phone numbers and email address; other details are changed by the practice")
	if id == "" || res == nil {
		return refuse
	}
	cur, err := r.Read(ctx, typ, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse
	case err != nil:
		return mapStoreError(err)
	}
	old, err := fhir.Unmarshal(cur.Body)
	if err != nil {
		return err
	}
	if !sameExcept(old, res, selfServiceFields) {
		return refuse
	}
	return nil
}

// sameExcept reports two resources equal but for the fields named, as
// JSON (object keys sorted, numbers as written).
func sameExcept(a, b fhir.Resource, fields []string) bool {
	strip := func(r fhir.Resource) string {
		m := map[string]any{}
		for k, v := range r {
			m[k] = v
		}
		for _, f := range fields {
			delete(m, f)
		}
		body, _ := json.Marshal(m)
		var v any
		_ = json.Unmarshal(body, &v) // numbers as float64 on both sides
		out, _ := json.Marshal(v)
		return string(out)
	}
	return strip(a) == strip(b)
}

// checkWriteCategory applies auth.WritesOnlyCategory: the caller's role
// may write typ only with a category coding of the system it names, in
// what it writes (res, nil for a delete) and in what it replaces (cur,
// nil for a create).
func checkWriteCategory(ctx context.Context, typ string, res, cur fhir.Resource) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil
	}
	system, narrowed := auth.WritesOnlyCategory[p.Role][typ]
	if !narrowed {
		return nil
	}
	for _, r := range []fhir.Resource{res, cur} {
		if r != nil && !hasCategorySystem(r, system) {
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "this role may write a %s only of the category %s", typ, system)
		}
	}
	return nil
}

// narrowedWrite reports whether the caller's writes of typ are narrowed
// to a category (so that the version replaced must be read and checked).
func narrowedWrite(ctx context.Context, typ string) bool {
	p, ok := auth.FromContext(ctx)
	_, narrowed := auth.WritesOnlyCategory[p.Role][typ]
	return ok && narrowed
}

func hasCategorySystem(r fhir.Resource, system string) bool {
	cats, _ := r["category"].([]any)
	for _, c := range cats {
		cc, _ := c.(map[string]any)
		codings, _ := cc["coding"].([]any)
		for _, cd := range codings {
			if m, _ := cd.(map[string]any); m != nil && m["system"] == system {
				return true
			}
		}
	}
	return false
}
