package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// BundleOptions shape a batch or transaction response.
type BundleOptions struct {
	// Representation includes each entry's resulting resource in the
	// response (Prefer: return=representation).
	Representation bool
}

// ProcessBundle runs a batch or transaction Bundle and returns the
// response Bundle. A transaction is atomic: if any entry fails, nothing is
// written and the error names the entry. A batch runs each entry on its own
// and reports each entry's outcome.
func (s *Service) ProcessBundle(ctx context.Context, b fhir.Resource, opts BundleOptions) (Outcome, error) {
	if b.Type() != "Bundle" {
		return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "POST to the base expects a Bundle, got %q", b.Type()).At("resourceType")
	}
	kind, _ := b["type"].(string)
	rawEntries, _ := b["entry"].([]any)
	if _, ok := b["entry"]; ok && rawEntries == nil {
		return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "Bundle.entry must be an array").At("Bundle.entry")
	}
	switch kind {
	case "transaction":
		return s.transaction(ctx, rawEntries, opts)
	case "batch":
		return s.batch(ctx, rawEntries, opts)
	}
	return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "Bundle.type must be transaction or batch to be processed, got %q", kind).At("Bundle.type")
}

// entryError prefixes an entry's error so that it names the entry, and
// rewrites expressions relative to the Bundle.
func entryError(i int, err error) error {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return err
	}
	out := &fhir.Error{Status: fe.Status}
	prefix := fmt.Sprintf("Bundle.entry[%d]", i)
	for _, is := range fe.Issues {
		is.Diagnostics = prefix + ": " + is.Diagnostics
		exprs := make([]string, 0, len(is.Expression)+1)
		for _, ex := range is.Expression {
			exprs = append(exprs, relativeExpression(prefix, ex))
		}
		if len(exprs) == 0 {
			exprs = append(exprs, prefix)
		}
		is.Expression = exprs
		out.Issues = append(out.Issues, is)
	}
	return out
}

// relativeExpression maps an expression about an entry's resource
// ("Patient.name[0]") or its request ("request.url") into the Bundle.
func relativeExpression(prefix, ex string) string {
	if ex == "" {
		return prefix
	}
	head, rest, _ := strings.Cut(ex, ".")
	if head == "request" || head == "resource" {
		return prefix + "." + ex
	}
	if head != "" && head[0] >= 'A' && head[0] <= 'Z' {
		if rest == "" {
			return prefix + ".resource"
		}
		return prefix + ".resource." + rest
	}
	return prefix + "." + ex
}

func (s *Service) parseEntries(raw []any) ([]*bundleEntry, error) {
	entries := make([]*bundleEntry, 0, len(raw))
	for i, r := range raw {
		e, err := s.parseEntry(i, r)
		if err != nil {
			return nil, entryError(i, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// processingOrder returns the entries sorted into the specification's
// processing order, stable within each method.
func processingOrder(entries []*bundleEntry) []*bundleEntry {
	ordered := append([]*bundleEntry(nil), entries...)
	sort.SliceStable(ordered, func(a, b int) bool {
		return methodOrder(ordered[a].method) < methodOrder(ordered[b].method)
	})
	return ordered
}

func (s *Service) transaction(ctx context.Context, raw []any, opts BundleOptions) (Outcome, error) {
	entries, err := s.parseEntries(raw)
	if err != nil {
		return Outcome{}, err
	}
	results := make([]entryResult, len(entries))
	// A bundle with nothing conditional (no If-None-Exist, no conditional
	// URL, no conditional reference) needs no database to assign ids and
	// rewrite references: do that, and prepare its creates, before the
	// write transaction, which then only writes.
	early := !needsStore(entries)
	if early {
		if err := s.resolveTargets(ctx, nil, entries); err != nil {
			return Outcome{}, err
		}
		if err := s.rewriteReferences(ctx, nil, entries); err != nil {
			return Outcome{}, err
		}
		s.prepareCreates(entries)
	}
	// No retry on a conflict: a conflict (another request creating the
	// same resource at the same moment) answers 409 and the client
	// retries the whole transaction.
	var keys []string
	if !early {
		keys = entryKeys(entries) // before references are rewritten: they name the keys
	}
	// A bundle that reads the store for its conditional references alone
	// resolves them tentatively first (transaction_tentative.go). Not for
	// a patient or proxy, whose access is decided with the transaction.
	var tent *tentative
	targetsAssigned := false
	if !early && onlyConditionalReferences(entries) && !patientFacing(ctx) {
		// Its targets read nothing (no conditional create or URL).
		if err := s.resolveTargets(ctx, nil, entries); err != nil {
			return Outcome{}, err
		}
		targetsAssigned = true
		tent = s.resolveTentatively(ctx, entries)
		if afterTentative != nil {
			afterTentative()
		}
	}
	// A bundle resolved before the transaction only writes in it, and may
	// run again; one resolved inside rewrites its entries as it goes.
	policy := runOnce
	if early {
		policy = retryUnavailable
	}
	err = s.inTx(ctx, policy, func(tx store.Tx) error {
		if !early {
			if err := tx.Lock(ctx, keys...); err != nil {
				return err
			}
			if tent != nil {
				ok, err := tent.holds(ctx, s, tx, entries)
				if err != nil {
					return err
				}
				if !ok {
					tent.undo(entries)
					tent = nil
				}
			}
			if tent == nil {
				if !targetsAssigned {
					if err := s.resolveTargets(ctx, tx, entries); err != nil {
						return err
					}
				}
				if err := s.rewriteReferences(ctx, tx, entries); err != nil {
					return err
				}
				s.prepareCreates(entries)
			}
		}
		for _, e := range processingOrder(entries) {
			r, err := s.runEntry(ctx, tx, e)
			if err != nil {
				return entryError(e.index, err)
			}
			results[e.index] = r
		}
		return nil
	})
	if err != nil {
		return Outcome{}, err
	}
	if err := s.expandResults(ctx, results, opts); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: http.StatusOK, Resource: s.responseBundle("transaction-response", results, opts)}, nil
}

func (s *Service) batch(ctx context.Context, raw []any, opts BundleOptions) (Outcome, error) {
	results := make([]entryResult, len(raw))
	var entries []*bundleEntry
	for i, r := range raw {
		e, err := s.parseEntry(i, r)
		if err != nil {
			results[i] = failedEntry(entryError(i, err))
			continue
		}
		entries = append(entries, e)
	}
	for _, e := range processingOrder(entries) {
		var r entryResult
		one := []*bundleEntry{e}
		keys := entryKeys(one)
		err := s.inTx(ctx, policyFor(e.ifMatch), func(tx store.Tx) error {
			if err := tx.Lock(ctx, keys...); err != nil {
				return err
			}
			if err := s.resolveTargets(ctx, tx, one); err != nil {
				return err
			}
			if err := s.rewriteReferences(ctx, tx, one); err != nil {
				return err
			}
			var err error
			r, err = s.runEntry(ctx, tx, e)
			return err
		})
		if err != nil {
			r = failedEntry(entryError(e.index, err))
		}
		results[e.index] = r
	}
	if err := s.expandResults(ctx, results, opts); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: http.StatusOK, Resource: s.responseBundle("batch-response", results, opts)}, nil
}

// expandResults puts Binary data back into the versions a response
// bundle will hold (the bundle holds each resource whole).
func (s *Service) expandResults(ctx context.Context, results []entryResult, opts BundleOptions) error {
	if !opts.Representation {
		return nil
	}
	for i := range results {
		v, err := ExpandBody(ctx, s.store, results[i].out.Version)
		if err != nil {
			return mapStoreError(err)
		}
		results[i].out.Version = v
	}
	return nil
}

// entryResult is what one entry produced: a version, a bundle (for GET
// history or search), or an error (batch only).
type entryResult struct {
	out Outcome
	err *fhir.Error
	// wrote is true for entries that create, update or delete: their
	// response carries a Location.
	wrote bool
}

func failedEntry(err error) entryResult {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		fe = fhir.Errorf(http.StatusInternalServerError, fhir.CodeException, "%v", err)
	}
	return entryResult{err: fe}
}

// runEntry performs one entry whose targets and references are resolved.
func (s *Service) runEntry(ctx context.Context, tx store.Tx, e *bundleEntry) (entryResult, error) {
	var out Outcome
	var err error
	switch e.method {
	case http.MethodPost:
		if e.existing != "" {
			out, err = s.readVisible(ctx, tx, e.typ, e.existing)
			out.Status = http.StatusOK
		} else if e.prepared != nil || e.prepareErr != nil {
			out, err = s.putPrepared(ctx, tx, e)
		} else {
			out, err = s.createIn(ctx, tx, e.typ, e.resource, "", e.target)
		}
	case http.MethodPut:
		if e.prepared != nil || e.prepareErr != nil {
			out, err = s.putPrepared(ctx, tx, e) // a create-only update
		} else {
			out, err = s.updateIn(ctx, tx, e.typ, e.target, e.resource, e.ifMatch, http.MethodPut)
		}
	case http.MethodPatch:
		out, err = s.patchIn(ctx, tx, e.typ, e.target, e.patch, e.ifMatch)
	case http.MethodDelete:
		if e.target == "" { // conditional delete without a match
			out = Outcome{Status: http.StatusNoContent}
		} else {
			out, err = s.deleteIn(ctx, tx, e.typ, e.target, e.ifMatch)
			var fe *fhir.Error
			if errors.As(err, &fe) && fe.Status == http.StatusNotFound {
				out, err = Outcome{Status: http.StatusNoContent}, nil
			}
		}
	default: // GET, HEAD
		out, err = s.getEntry(ctx, tx, e)
	}
	if err != nil {
		return entryResult{}, err
	}
	return entryResult{out: out, wrote: e.method != http.MethodGet && e.method != http.MethodHead}, nil
}

func (s *Service) getEntry(ctx context.Context, tx store.Tx, e *bundleEntry) (Outcome, error) {
	switch {
	case e.query != nil:
		return Outcome{}, fhir.Errorf(http.StatusNotImplemented, fhir.CodeNotSupported, "search entries in a Bundle are not supported yet")
	case e.history:
		return Outcome{}, fhir.Errorf(http.StatusNotImplemented, fhir.CodeNotSupported, "history entries in a Bundle are not supported yet")
	case e.vid != "":
		n, ok := parseVersion(e.vid)
		if !ok {
			return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s has no version %q", e.typ, e.id, e.vid)
		}
		reach, err := allow(ctx, e.typ, auth.Read)
		if err != nil {
			return Outcome{}, err
		}
		v, err := tx.VRead(ctx, e.typ, e.id, n)
		if errors.Is(err, store.ErrNotFound) {
			return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s/_history/%d is not known", e.typ, e.id, n)
		}
		if err != nil {
			return Outcome{}, err
		}
		cur, err := s.currentViews(ctx, tx, []store.Version{v})
		if err != nil {
			return Outcome{}, err
		}
		if ok, err := s.seesVersion(ctx, tx, reach, v); err != nil || !ok || cur[e.typ+"/"+e.id].withheld {
			if err != nil {
				return Outcome{}, err
			}
			return Outcome{}, notVisible(e.typ, e.id)
		}
		if v.Deleted {
			return Outcome{}, fhir.Errorf(http.StatusGone, fhir.CodeDeleted, "%s/%s/_history/%d is a deletion", e.typ, e.id, n)
		}
		return Outcome{Status: http.StatusOK, Version: viewedVersions(ctx, []store.Version{v}, cur)[0]}, nil
	}
	out, err := s.readVisible(ctx, tx, e.typ, e.id)
	out.Version = viewedOne(ctx, out.Version)
	var gone *GoneError
	if errors.As(err, &gone) {
		return Outcome{}, gone.Err
	}
	return out, err
}

// responseBundle builds a batch-response or transaction-response. Stored
// bodies are embedded as raw JSON, not decoded and re-encoded.
func (s *Service) responseBundle(kind string, results []entryResult, opts BundleOptions) fhir.Resource {
	entries := make([]any, len(results))
	for i, r := range results {
		if r.err != nil {
			entries[i] = map[string]any{"response": map[string]any{
				"status":  statusText(r.err.Status),
				"outcome": fhir.OperationOutcome(r.err.Issues),
			}}
			continue
		}
		resp := map[string]any{"status": statusText(r.out.Status)}
		entry := map[string]any{"response": resp}
		if v := r.out.Version; v.Type != "" {
			if r.wrote {
				resp["location"] = r.out.Location()
			}
			resp["etag"] = ETag(v.VersionID)
			resp["lastModified"] = fhir.FormatInstant(v.LastUpdated)
			entry["fullUrl"] = s.baseURL + "/" + v.Type + "/" + v.ID
			if opts.Representation && !v.Deleted && v.Body != nil {
				entry["resource"] = json.RawMessage(v.Body)
			}
		} else if r.out.Resource != nil {
			entry["resource"] = r.out.Resource
		}
		entries[i] = entry
	}
	return fhir.Resource{
		"resourceType": "Bundle",
		"id":           newID(),
		"type":         kind,
		"entry":        entries,
	}
}

func statusText(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }
