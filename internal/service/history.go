package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// History page sizes: the default when _count is absent and the most a
// client may ask for.
const (
	DefaultHistoryCount = 50
	MaxHistoryCount     = 1000
)

// historyCursorParam carries the paging cursor in next links: the sequence
// number below which the next page starts. Because versions are immutable
// and ordered by sequence, a page never repeats or skips a version even
// while new versions are written.
const historyCursorParam = "_cursor"

// History returns a history Bundle for the whole system (typ ""), a type
// (id "") or one resource. params are the request's query parameters
// (_since, _at, _count, and the paging cursor).
func (s *Service) History(ctx context.Context, typ, id string, params url.Values) (Outcome, error) {
	q := store.HistoryQuery{Type: typ, ID: id, Count: DefaultHistoryCount}
	if typ != "" {
		if err := checkType(typ); err != nil {
			return Outcome{}, err
		}
	}
	if id != "" {
		if err := checkID(id); err != nil {
			return Outcome{}, err
		}
	}
	if v := params.Get("_since"); v != "" {
		t, err := ParseInstantParam("_since", v, false)
		if err != nil {
			return Outcome{}, err
		}
		q.Since = t
	}
	if v := params.Get("_at"); v != "" {
		t, err := ParseInstantParam("_at", v, true)
		if err != nil {
			return Outcome{}, err
		}
		q.At = t
	}
	if v := params.Get("_count"); v != "" {
		n, err := search.ParseCount(v, MaxHistoryCount)
		if err != nil {
			return Outcome{}, err
		}
		q.Count = n
	}
	if v := params.Get(historyCursorParam); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "invalid paging cursor %q", v)
		}
		q.Before = n
	}
	// The caller's reach: an instance's history is theirs to read when the
	// resource is; a type's or the system's is filtered version by
	// version, and its total (which would count what they cannot see) is
	// left out.
	restricted := false
	if id != "" {
		if _, err := s.readVisible(ctx, s.store, typ, id); err != nil {
			var gone *GoneError
			if !errors.As(err, &gone) {
				return Outcome{}, err
			}
		}
		// A patient's or proxy's versions are judged one by one, as in a
		// type's history: an earlier one may name another patient, or lie
		// outside their online access.
		restricted = patientFacing(ctx)
	} else {
		scopeType := typ
		if scopeType == "" {
			scopeType = "*"
		}
		reach, err := allow(ctx, scopeType, auth.Search)
		if err != nil {
			return Outcome{}, err
		}
		restricted = reach != nil
	}
	total := -1
	if !restricted && !patientFacing(ctx) { // a patient's would count what is withheld
		var err error
		if total, err = s.store.HistoryCount(ctx, q); err != nil {
			return Outcome{}, mapStoreError(err)
		}
	}
	var err error
	versions := []store.Version(nil)
	if q.Count > 0 {
		page := q
		page.Count = q.Count + 1 // one more tells whether a next page exists
		versions, err = s.store.History(ctx, page)
		if err != nil {
			return Outcome{}, mapStoreError(err)
		}
	}
	var next int64
	if len(versions) > q.Count {
		versions = versions[:q.Count]
		next = versions[len(versions)-1].Seq
	}
	if restricted {
		if versions, err = s.filterVisible(ctx, versions); err != nil {
			return Outcome{}, err
		}
	}
	cur, err := s.currentViews(ctx, s.store, versions)
	if err != nil {
		return Outcome{}, err
	}
	versions = dropWithheld(ctx, versions, cur)
	s.seen(ctx, versions...)
	if err := expandAll(ctx, s.store, versions); err != nil {
		return Outcome{}, mapStoreError(err)
	}
	return Outcome{Status: http.StatusOK, Resource: s.historyBundle(typ, id, params, viewedVersions(ctx, versions, cur), total, next)}, nil
}

func (s *Service) historyBundle(typ, id string, params url.Values, versions []store.Version, total int, next int64) fhir.Resource {
	path := "_history"
	switch {
	case id != "":
		path = typ + "/" + id + "/_history"
	case typ != "":
		path = typ + "/_history"
	}
	link := func(rel string, cursor int64) map[string]any {
		q := url.Values{}
		for _, k := range []string{"_since", "_at", "_count"} {
			if v := params.Get(k); v != "" {
				q.Set(k, v)
			}
		}
		if cursor > 0 {
			q.Set(historyCursorParam, strconv.FormatInt(cursor, 10))
		}
		u := s.baseURL + "/" + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return map[string]any{"relation": rel, "url": u}
	}
	self := int64(0)
	if c := params.Get(historyCursorParam); c != "" {
		self, _ = strconv.ParseInt(c, 10, 64)
	}
	links := []any{link("self", self)}
	if next > 0 {
		links = append(links, link("next", next))
	}
	entries := make([]any, 0, len(versions))
	for _, v := range versions {
		entries = append(entries, s.historyEntry(v))
	}
	b := fhir.Resource{
		"resourceType": "Bundle",
		"id":           newID(),
		"type":         "history",
		"total":        total,
		"link":         links,
		"entry":        entries,
	}
	if total < 0 {
		delete(b, "total") // not counted: the caller sees part of it
	}
	return b
}

func (s *Service) historyEntry(v store.Version) map[string]any {
	reqURL := v.Type + "/" + v.ID
	method := v.Method
	status := http.StatusOK
	switch method {
	case http.MethodPost:
		reqURL, status = v.Type, http.StatusCreated
	case http.MethodDelete:
		status = http.StatusNoContent
	case "":
		method = http.MethodPut
	}
	entry := map[string]any{
		"fullUrl": s.baseURL + "/" + v.Type + "/" + v.ID,
		"request": map[string]any{"method": method, "url": reqURL},
		"response": map[string]any{
			"status":       strconv.Itoa(status),
			"etag":         ETag(v.VersionID),
			"lastModified": fhir.FormatInstant(v.LastUpdated),
		},
	}
	if !v.Deleted && v.Body != nil {
		entry["resource"] = json.RawMessage(v.Body)
	}
	return entry
}

// ParseInstantParam parses a FHIR instant or dateTime parameter value
// (_since, _at; $export's _since; the export command's --since).
// Partial dates are allowed: for _since the period's start counts, for _at
// (asEnd) its end, so that _at=2024 means "as the record stood at the end
// of 2024".
func ParseInstantParam(name, v string, asEnd bool) (time.Time, error) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{time.RFC3339Nano, func(t time.Time) time.Time { return t }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	}
	for _, l := range layouts {
		t, err := time.Parse(l.layout, v)
		if err != nil {
			continue
		}
		if asEnd {
			if end := l.step(t); !end.Equal(t) {
				return end.Add(-time.Microsecond), nil
			}
		}
		return t, nil
	}
	return time.Time{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "%s: %q is not a FHIR instant or date (e.g. 2024-05-01T12:00:00Z or 2024-05-01)", name, v)
}
