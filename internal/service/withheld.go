package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/patientview"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Entries withheld from patients and proxies. What a patient never reads
// online (patientview.Withheld: an entry labelled NOPAT, an
// enhanced-review entry, a result or letter not yet filed from the
// inbox) is withheld here, by the service, from every patient or proxy
// caller, not only from the portal's pages: a patient's SMART token on
// the FHIR API reads through the same paths. Withheld like an entry
// outside their reach, so that nothing tells it is there:
//   - read, vread (of any version, when the current one is withheld),
//     and reads in a batch or transaction: 404, as for an unknown id;
//   - search matches, _include and _revinclude (seesVersion), and
//     $everything: left out; a patient-facing searchset has no total
//     (the store's count would count what is withheld), and
//     _summary=count is refused, as are _has and chains (either would
//     match through a withheld entry);
//   - history: versions left out, and all of a resource's when its
//     current version is withheld; no total;
//   - a Binary whose securityContext is a withheld entry: unknown.
//
// The portal's pages run as the patient, so they get the same answers;
// they keep their own filters. The enhanced-review entries themselves
// are needed, not shown, to decide record access: the service reads
// them for that straight from the store (patient_access.go).

// withheldBody reports a stored body a patient or proxy must not read.
func withheldBody(body []byte) bool {
	if body == nil || !hasMarker(body) {
		return false
	}
	res, err := fhirjson.DecodeResource(body, fhirjson.DefaultLimits)
	if err != nil {
		return true // never falls back to showing it
	}
	return patientview.Withheld(res)
}

func hasMarker(body []byte) bool {
	for _, m := range patientview.Markers {
		if bytes.Contains(body, m) {
			return true
		}
	}
	return false
}

// withheld reports a version the caller must not read: a patient-facing
// caller, and a version (not a deletion) that is withheld.
func withheld(ctx context.Context, v store.Version) bool {
	return patientFacing(ctx) && !v.Deleted && withheldBody(v.Body)
}

// currentView is what a resource's current content says to a patient
// or proxy reading any of its versions: withheld (every version is), and
// the phrases removed from online access (replaced in every version).
type currentView struct {
	withheld bool
	phrases  []string
}

// currentViews reads, once for each resource of vs and through the
// caller's reader r, its current content as it stands for a patient: a
// label added today covers what the entry said before, and so do the
// words removed today. A deletion is judged by the version it deleted,
// so deleting a withheld or redacted entry does not open its earlier
// versions; a store error is returned, never taken as nothing to hide.
// nil (and nothing read) for other callers.
func (s *Service) currentViews(ctx context.Context, r store.Reader, vs []store.Version) (map[string]currentView, error) {
	if !patientFacing(ctx) {
		return nil, nil
	}
	out := map[string]currentView{}
	for _, v := range vs {
		key := v.Type + "/" + v.ID
		if _, done := out[key]; done {
			continue
		}
		cur, err := r.Read(ctx, v.Type, v.ID)
		if err == nil && cur.Deleted && cur.VersionID > 1 {
			cur, err = r.VRead(ctx, v.Type, v.ID, cur.VersionID-1)
		}
		if err != nil {
			return nil, mapStoreError(err)
		}
		var cv currentView
		if !cur.Deleted && cur.Body != nil {
			cv.withheld = withheldBody(cur.Body)
			if !cv.withheld {
				// A current version the caller does not see (outside their
				// online access: patient_access.go) hides the earlier ones
				// too, as a withheld one does.
				seen, err := s.seesCurrent(ctx, r, cur)
				if err != nil {
					return nil, err
				}
				cv.withheld = !seen
			}
			if bytes.Contains(cur.Body, redactionMark) {
				var res map[string]any
				if json.Unmarshal(cur.Body, &res) == nil {
					cv.phrases = redaction.Phrases(res)
				}
			}
		}
		out[key] = cv
	}
	return out, nil
}

// seesCurrent reports whether the caller sees a resource's current
// version, by its type's reach for read.
func (s *Service) seesCurrent(ctx context.Context, r store.Reader, cur store.Version) (bool, error) {
	reach, err := allow(ctx, cur.Type, auth.Read)
	if err != nil {
		return false, nil
	}
	return s.seesVersion(ctx, r, reach, cur)
}

// dropWithheld leaves out of vs (versions, possibly earlier ones) those
// a patient-facing caller must not read, and every version of a
// resource whose current content is withheld (cur: currentViews).
func dropWithheld(ctx context.Context, vs []store.Version, cur map[string]currentView) []store.Version {
	if !patientFacing(ctx) {
		return vs
	}
	out := vs[:0:0]
	for _, v := range vs {
		if !cur[v.Type+"/"+v.ID].withheld && !withheld(ctx, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkWithheldSearch refuses a patient or proxy the searches whose
// answer would tell a withheld entry is there: a count (the store counts
// every match) and a reverse chain (_has matches through the entry).
func checkWithheldSearch(ctx context.Context, params url.Values) error {
	if !patientFacing(ctx) {
		return nil
	}
	if params.Get("_summary") == "count" {
		return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "counting entries of your record (_summary=count) is not available: some entries are kept by your GP surgery and not shown online")
	}
	for name := range params {
		if strings.HasPrefix(name, "_has:") {
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "searching your record through other entries (_has) is not available: some entries are kept by your GP surgery and not shown online")
		}
		// A chain (encounter.reason-code=...) matches on the elements of
		// the entry it goes through, which may be withheld or outside
		// the caller's online access (patient_access.go).
		if base, _, _ := strings.Cut(name, ":"); strings.Contains(name, ".") && !strings.HasPrefix(base, "_") {
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "searching your record through other entries (%s) is not available: some entries are kept by your GP surgery and not shown online", name)
		}
	}
	return nil
}
