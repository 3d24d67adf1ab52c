package bulk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// History files: with WithHistory, export also writes <Type>.history.ndjson,
// one FHIR Bundle of type "history" per resource (deleted ones included)
// holding all its versions, oldest first: each entry has the resource (none
// for a deletion), request.method (POST, PUT or DELETE as the version was
// made) and response.lastModified and etag. Import replays them in order,
// so the receiving store holds the same versions; when a directory has a
// type's history file, its current-version file is not imported again.
const historySuffix = ".history.ndjson"

// exportHistory writes one type's history file; it returns the file (or
// nil when the type has no versions).
func exportHistory(ctx context.Context, st store.Store, dir, typ string, max int64) ([]OutputFile, int, error) {
	byID := map[string][]store.Version{}
	var before int64
	for {
		batch, err := st.History(ctx, store.HistoryQuery{Type: typ, Before: before, Count: 5000})
		if err != nil {
			return nil, 0, err
		}
		if len(batch) == 0 {
			break
		}
		for _, v := range batch {
			byID[v.ID] = append(byID[v.ID], v)
		}
		before = batch[len(batch)-1].Seq
	}
	if len(byID) == 0 {
		return nil, 0, nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	w := &typeWriter{dir: dir, typ: typ, max: max, suffix: historySuffix}
	for _, id := range ids {
		versions := byID[id]
		sort.Slice(versions, func(a, b int) bool { return versions[a].VersionID < versions[b].VersionID })
		if err := writeHistoryLine(ctx, st, w, typ, id, versions); err != nil {
			w.abort()
			return nil, 0, err
		}
	}
	files, err := w.close()
	return files, w.total, err
}

// writeHistoryLine writes one resource's history Bundle as a line. The
// Bundle is encoded with a placeholder for each Binary whose data lives
// beside its JSON, and the line written piece by piece, each such Binary
// streamed in its place with its data.
func writeHistoryLine(ctx context.Context, st store.Reader, w *typeWriter, typ, id string, versions []store.Version) error {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	var parts []*service.StoredBinary
	defer func() {
		for _, b := range parts {
			b.Close()
		}
	}()
	placeholder := func(i int) string { return fmt.Sprintf(`"gpcloud-part-%x-%d"`, nonce, i) }
	entries := make([]any, 0, len(versions))
	for _, v := range versions {
		entry := map[string]any{
			"request":  map[string]any{"method": v.Method, "url": typ + "/" + id},
			"response": map[string]any{"status": "200", "etag": `W/"` + strconv.FormatInt(v.VersionID, 10) + `"`, "lastModified": fhir.FormatInstant(v.LastUpdated)},
		}
		b, err := service.SplitBinary(ctx, st, v)
		switch {
		case err != nil:
			return err
		case b != nil:
			entry["resource"] = json.RawMessage(placeholder(len(parts)))
			parts = append(parts, b)
		case !v.Deleted:
			entry["resource"] = json.RawMessage(v.Body)
		}
		entries = append(entries, entry)
	}
	line, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "history", "entry": entries})
	if err != nil || len(parts) == 0 {
		if err != nil {
			return err
		}
		return w.write(line)
	}
	// Cut the line around the placeholders, in order.
	var pieces [][]byte
	n := int64(len(line)) + 1
	rest := line
	for i, b := range parts {
		at := bytes.Index(rest, []byte(placeholder(i)))
		if at < 0 {
			return fmt.Errorf("history of %s/%s: cannot place version data", typ, id)
		}
		pieces = append(pieces, rest[:at])
		rest = rest[at+len(placeholder(i)):]
		n += b.Len() - int64(len(placeholder(i)))
	}
	pieces = append(pieces, append(rest, '\n'))
	return w.writeLine(n, func(out io.Writer) error {
		for i, p := range pieces {
			if _, err := out.Write(p); err != nil {
				return err
			}
			if i < len(parts) {
				if _, err := parts[i].WriteTo(out); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// replayHistory writes one resource's versions in order. When the target
// already holds the resource from an earlier run (its current version is
// version k of this history, with the same content), it goes on from
// version k+1: a replay run again, or after an interruption, leaves what
// one run would. A resource whose target history differs is not touched.
func (im *Importer) replayHistory(ctx context.Context, b fhir.Resource) error {
	entries, _ := b["entry"].([]any)
	start, err := im.replayedSoFar(ctx, entries)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if i < start {
			continue
		}
		em, _ := e.(map[string]any)
		req, _ := em["request"].(map[string]any)
		url, _ := req["url"].(string)
		res, _ := em["resource"].(map[string]any)
		var entry map[string]any
		switch {
		case res == nil:
			entry = map[string]any{"request": map[string]any{"method": http.MethodDelete, "url": url}}
		default:
			r := cloneResource(res)
			delete(r, "meta") // versionId and lastUpdated are the receiver's
			if m, ok := res["meta"].(map[string]any); ok {
				mc := map[string]any{}
				for k, v := range m {
					if k != "versionId" && k != "lastUpdated" {
						mc[k] = v
					}
				}
				if len(mc) > 0 {
					r["meta"] = mc
				}
			}
			entry = map[string]any{"resource": map[string]any(r), "request": map[string]any{"method": http.MethodPut, "url": url}}
		}
		if err := im.sink.Transaction(ctx, transaction([]any{entry})); err != nil {
			return fmt.Errorf("version %d of %s: %w", i+1, url, err)
		}
	}
	return nil
}

// replayedSoFar tells how many of a history's versions (oldest first) the
// target holds already.
func (im *Importer) replayedSoFar(ctx context.Context, entries []any) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	first, _ := entries[0].(map[string]any)
	req, _ := first["request"].(map[string]any)
	url, _ := req["url"].(string)
	typ, id, ok := strings.Cut(url, "/")
	if !ok {
		return 0, nil
	}
	have, cur, err := im.sink.Current(ctx, typ, id)
	if err != nil || have == 0 {
		return 0, err
	}
	if have > int64(len(entries)) {
		return 0, fmt.Errorf("%s exists in the target with %d versions, more than the %d of this history: not replayed", url, have, len(entries))
	}
	at, _ := entries[have-1].(map[string]any)
	res, _ := at["resource"].(map[string]any)
	if !sameContent(res, cur) {
		return 0, fmt.Errorf("%s exists in the target with other content at version %d: not replayed", url, have)
	}
	return int(have), nil
}

// sameContent compares two versions of a resource, ignoring versionId
// and lastUpdated (nil is a deletion).
func sameContent(a, b map[string]any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	strip := func(r map[string]any) []byte {
		c := maps.Clone(r)
		if m, ok := r["meta"].(map[string]any); ok {
			mc := maps.Clone(m)
			delete(mc, "versionId")
			delete(mc, "lastUpdated")
			if len(mc) == 0 {
				delete(c, "meta")
			} else {
				c["meta"] = mc
			}
		}
		body, _ := fhir.Marshal(c)
		return body
	}
	return bytes.Equal(strip(a), strip(b))
}
