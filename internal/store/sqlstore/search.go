package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Stored result lists: at most MaxStoredResults matches are kept for
// paging, for SearchTTL.
const (
	MaxStoredResults = 100000
	SearchTTL        = time.Hour
)

// pendingWait bounds how long a page waits for a result list that is still
// being written: by this process (it waits for the writer), or by another
// process sharing the database (it polls). A list whose writer died (the
// process was killed while writing it) is then reported expired.
const pendingWait = 30 * time.Second

// Search runs q: one query for the first page; when more match, the
// ordered matches (their exact versions) are read in one more query, the
// first page answered from them at once, and the list stored for later
// pages in the background (see firstPage).
func (s *Store) Search(ctx context.Context, q *search.Query, page store.PageRequest) (store.SearchPage, error) {
	return retryRead(ctx, s, func() (store.SearchPage, error) { return s.search(ctx, q, page) })
}

func (s *Store) search(ctx context.Context, q *search.Query, page store.PageRequest) (store.SearchPage, error) {
	if page.SearchID != "" {
		return s.storedPage(ctx, q, page)
	}
	count := q.Count
	sb := s.builder(time.Now())
	l := lead(q)
	cte := sb.withMatches(q, l)
	sb.w(`SELECT ` + versionColumns)
	sb.fromMatches(q, l, true, cte)
	sb.orderBy(q)
	sb.w(fmt.Sprintf(` LIMIT %d`, count+1))
	matches, err := s.queryVersions(ctx, s.read, sb)
	if err != nil {
		return store.SearchPage{}, err
	}
	if len(matches) <= count {
		return store.SearchPage{Matches: matches, Total: len(matches)}, nil
	}
	if count == 0 || page.FirstOnly {
		total := -1
		if q.Total == "accurate" || q.Total == "estimate" {
			if total, err = s.count(ctx, q); err != nil {
				return store.SearchPage{}, err
			}
		}
		return store.SearchPage{Matches: matches[:count], Total: total, HasMore: true}, nil
	}
	return s.firstPage(ctx, q, matches[:count])
}

// resultKey names one stored match: an exact version.
type resultKey struct {
	typ, id string
	version int64
}

// firstPage answers the first page of a search that matches more than a
// page. The ordered list of matches is read in one statement (one snapshot
// of the database); the page and the total come from it, and the list is
// written for the later pages by a goroutine, so that the caller does not
// wait for thousands of rows to be inserted (on SQLite, behind the one
// writer). Issue 12 measured that write as most of a population query's
// first page at 10x (see the README's storage section).
//
// seen is the first page as the caller's first query found it; when a
// write between the two queries changed it, the page is read again from
// the list, so that the first page and the later ones always come from the
// same snapshot and paging neither repeats nor misses a match.
func (s *Store) firstPage(ctx context.Context, q *search.Query, seen []store.Version) (store.SearchPage, error) {
	now := time.Now()
	keys, err := s.orderedKeys(ctx, q, now)
	if err != nil {
		return store.SearchPage{}, err
	}
	count := q.Count
	if len(keys) <= count {
		// Matches were deleted between the two queries: all fit on one page.
		matches, err := s.versionsOf(ctx, keys)
		if err != nil {
			return store.SearchPage{}, err
		}
		return store.SearchPage{Matches: matches, Total: len(matches)}, nil
	}
	total := len(keys)
	if total >= MaxStoredResults {
		total = -1
		if q.Total == "accurate" {
			if total, err = s.count(ctx, q); err != nil {
				return store.SearchPage{}, err
			}
		}
	}
	page := seen
	if !samePage(seen, keys[:count]) {
		if page, err = s.versionsOf(ctx, keys[:count]); err != nil {
			return store.SearchPage{}, err
		}
	}
	id := newSearchID(now)
	s.storeLater(id, now, total, q.AccessKey, keys)
	return store.SearchPage{Matches: page, Total: total, SearchID: id, HasMore: true}, nil
}

// orderedKeys reads the ordered matches of q, at most MaxStoredResults.
func (s *Store) orderedKeys(ctx context.Context, q *search.Query, now time.Time) ([]resultKey, error) {
	sb := s.builder(now)
	l := lead(q)
	cte := sb.withMatches(q, l)
	sb.w(`SELECT c.type, c.id, c.version_id`)
	sb.fromMatches(q, l, false, cte)
	sb.orderBy(q)
	sb.w(fmt.Sprintf(` LIMIT %d`, MaxStoredResults))
	rows, err := s.read.QueryContext(ctx, s.d.rebind(sb.b.String()), sb.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []resultKey
	for rows.Next() {
		var k resultKey
		if err := rows.Scan(&k.typ, &k.id, &k.version); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

func samePage(vs []store.Version, keys []resultKey) bool {
	if len(vs) != len(keys) {
		return false
	}
	for i, v := range vs {
		if v.Type != keys[i].typ || v.ID != keys[i].id || v.VersionID != keys[i].version {
			return false
		}
	}
	return true
}

// versionsOf reads exact versions, in the order of keys. Versions never
// change once written, so any later statement reads what the list names.
func (s *Store) versionsOf(ctx context.Context, keys []resultKey) ([]store.Version, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	sb := s.builder(time.Time{})
	sb.w(`SELECT ` + versionColumns + ` FROM resource_version v WHERE `)
	sb.balanced(len(keys), "OR", func(i int) {
		sb.w(`v.type = ? AND v.id = ? AND v.version_id = ?`, keys[i].typ, keys[i].id, keys[i].version)
	})
	found, err := s.queryVersions(ctx, s.read, sb)
	if err != nil {
		return nil, err
	}
	at := map[resultKey]store.Version{}
	for _, v := range found {
		at[resultKey{v.Type, v.ID, v.VersionID}] = v
	}
	out := make([]store.Version, 0, len(keys))
	for _, k := range keys {
		if v, ok := at[k]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *Store) count(ctx context.Context, q *search.Query) (int, error) {
	sb := s.builder(time.Now())
	l := lead(q)
	cte := sb.withMatches(q, l)
	sb.w(`SELECT count(*)`)
	sb.fromMatches(q, l, false, cte)
	var n int
	err := s.read.QueryRowContext(ctx, s.d.rebind(sb.b.String()), sb.args...).Scan(&n)
	return n, err
}

// newSearchID is 12 hex digits of the creation time in milliseconds, then
// 80 random bits: a page asked for with an id that no list holds yet can
// tell a list still being written (young) from one gone (old) without a
// write on the first page.
func newSearchID(now time.Time) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%012x", now.UnixMilli()&0xffffffffffff) + hex.EncodeToString(b)
}

// searchCreated reads the creation time of an id made by newSearchID
// (false for other ids, such as those stored before it).
func searchCreated(id string) (time.Time, bool) {
	if len(id) != 32 {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(id[:12], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// pendingList is a result list being written by this process.
type pendingList struct {
	done chan struct{}
	err  error // set before done is closed
}

// storeLater writes the list in the background. Pages asked for meanwhile
// wait for it (pendingList); Close waits for every write to end, so that
// a server stopped in the ordinary way keeps the lists it handed out.
func (s *Store) storeLater(id string, created time.Time, total int, access string, keys []resultKey) {
	p := &pendingList{done: make(chan struct{})}
	s.pending.Store(id, p)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), pendingWait)
		defer cancel()
		p.err = s.writeResults(ctx, id, created, total, access, keys)
		close(p.done)
		if p.err == nil {
			s.pending.Delete(id)
			return
		}
		// Waiters learn of the failure at once for as long as the id
		// could still be waited for; the list is then simply expired.
		slog.Warn("storing search results failed; their pages will answer expired", "search", id, "error", p.err)
		time.AfterFunc(pendingWait, func() { s.pending.Delete(id) })
	}()
}

// writeResults writes the ordered matches under id, with the total to
// report, in one transaction, in batches of rows.
func (s *Store) writeResults(ctx context.Context, id string, created time.Time, total int, access string, keys []resultKey) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const cols = 5
	per := max(1, min(500, s.d.MaxParams/cols))
	var stmt *sql.Stmt
	for start := 0; start < len(keys); start += per {
		batch := keys[start:min(start+per, len(keys))]
		args := make([]any, 0, len(batch)*cols)
		for i, k := range batch {
			args = append(args, id, start+i+1, k.typ, k.id, k.version)
		}
		query := s.d.rebind(`INSERT INTO search_result (search_id, pos, type, id, version_id) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(batch)), ", "))
		if len(batch) == per {
			if stmt == nil {
				if stmt, err = tx.PrepareContext(ctx, query); err != nil {
					return err
				}
				defer stmt.Close()
			}
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO search_query (search_id, created, total, access) VALUES (?, ?, ?, ?)`), id, created.UnixMicro(), total, access); err != nil {
		return err
	}
	now := time.Now()
	if last := s.lastCleanup.Load(); now.Unix()-last > 60 && s.lastCleanup.CompareAndSwap(last, now.Unix()) {
		cutoff := now.Add(-SearchTTL).UnixMicro()
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM search_result WHERE search_id IN (SELECT search_id FROM search_query WHERE created < ?)`), cutoff); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM search_query WHERE created < ?`), cutoff); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// awaitList waits until the list named id can be read: while this process
// writes it, until it is written; when no list of that id exists and the id
// is young, polling for another process's write. It reports whether a list
// may now be read (false: it is expired or its write failed).
func (s *Store) awaitList(ctx context.Context, id string) (bool, error) {
	if v, ok := s.pending.Load(id); ok {
		p := v.(*pendingList)
		select {
		case <-p.done:
			return p.err == nil, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return true, nil
}

// storedPage reads a page of a stored result list (one row more than the
// page, to tell whether another follows).
func (s *Store) storedPage(ctx context.Context, q *search.Query, page store.PageRequest) (store.SearchPage, error) {
	if ok, err := s.awaitList(ctx, page.SearchID); err != nil || !ok {
		if err == nil {
			err = store.ErrSearchExpired
		}
		return store.SearchPage{}, err
	}
	var total int
	var created int64
	var access string
	err := s.read.QueryRowContext(ctx, s.d.rebind(`SELECT total, created, access FROM search_query WHERE search_id = ?`), page.SearchID).Scan(&total, &created, &access)
	// Another process sharing the database may still be writing a young
	// list: wait for it, up to pendingWait from its creation.
	if at, ok := searchCreated(page.SearchID); ok && errors.Is(err, sql.ErrNoRows) {
		for errors.Is(err, sql.ErrNoRows) && time.Since(at) < pendingWait {
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return store.SearchPage{}, ctx.Err()
			}
			err = s.read.QueryRowContext(ctx, s.d.rebind(`SELECT total, created, access FROM search_query WHERE search_id = ?`), page.SearchID).Scan(&total, &created, &access)
		}
	}
	// A list computed under another access condition is, for this
	// caller, as good as gone: answering so reveals nothing of it.
	if errors.Is(err, sql.ErrNoRows) || err == nil && (time.Since(time.UnixMicro(created)) > SearchTTL || access != q.AccessKey) {
		return store.SearchPage{}, store.ErrSearchExpired
	}
	if err != nil {
		return store.SearchPage{}, err
	}
	sb := s.builder(time.Time{})
	sb.w(`SELECT `+versionColumns+` FROM search_result r JOIN resource_version v ON v.type = r.type AND v.id = r.id AND v.version_id = r.version_id
		WHERE r.search_id = ? AND r.pos > ? ORDER BY r.pos`, page.SearchID, page.Offset)
	sb.w(fmt.Sprintf(` LIMIT %d`, q.Count+1))
	matches, err := s.queryVersions(ctx, s.read, sb)
	if err != nil {
		return store.SearchPage{}, err
	}
	more := len(matches) > q.Count
	if more {
		matches = matches[:q.Count]
	}
	return store.SearchPage{Matches: matches, Total: total, SearchID: page.SearchID, HasMore: more}, nil
}

func (s *Store) queryVersions(ctx context.Context, c conn, sb *sqlBuilder) ([]store.Version, error) {
	rows, err := c.QueryContext(ctx, s.d.rebind(sb.b.String()), sb.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Included follows _include and _revinclude from the matches; :iterate
// repeats from what was included (and kept), a few levels deep.
func (s *Store) Included(ctx context.Context, q *search.Query, matches []store.Version, keep func([]store.Version) ([]store.Version, error)) ([]store.Version, error) {
	return retryRead(ctx, s, func() ([]store.Version, error) { return s.included(ctx, q, matches, keep) })
}

func (s *Store) included(ctx context.Context, q *search.Query, matches []store.Version, keep func([]store.Version) ([]store.Version, error)) ([]store.Version, error) {
	seen := map[resourceKey]bool{}
	for _, m := range matches {
		seen[resourceKey{m.Type, m.ID}] = true
	}
	var out []store.Version
	from := matches
	for depth := 0; depth < 4 && len(from) > 0; depth++ {
		var next []store.Version
		for _, inc := range q.Include {
			if depth > 0 && !inc.Iterate {
				continue
			}
			found, err := s.follow(ctx, inc, from, false)
			if err != nil {
				return nil, err
			}
			next = appendNew(next, found, seen)
		}
		for _, inc := range q.RevInclude {
			if depth > 0 && !inc.Iterate {
				continue
			}
			found, err := s.follow(ctx, inc, from, true)
			if err != nil {
				return nil, err
			}
			next = appendNew(next, found, seen)
		}
		if keep != nil && len(next) > 0 {
			var err error
			if next, err = keep(next); err != nil {
				return nil, err
			}
		}
		out = append(out, next...)
		from = next
	}
	return out, nil
}

func appendNew(dst, found []store.Version, seen map[resourceKey]bool) []store.Version {
	for _, v := range found {
		k := resourceKey{v.Type, v.ID}
		if !seen[k] {
			seen[k] = true
			dst = append(dst, v)
		}
	}
	return dst
}

// maxIncluded bounds one include step.
const maxIncluded = 5000

func (s *Store) follow(ctx context.Context, inc search.Include, from []store.Version, reverse bool) ([]store.Version, error) {
	byType := map[string][]string{}
	for _, v := range from {
		byType[v.Type] = append(byType[v.Type], v.ID)
	}
	var out []store.Version
	for typ, ids := range byType {
		sb := s.builder(time.Time{})
		join := `c.type = r.target_type AND c.id = r.target_id`
		if reverse {
			join = `c.type = r.type AND c.id = r.id`
		}
		sb.w(`SELECT DISTINCT ` + versionColumns + ` FROM reference_index r JOIN resource_current c ON ` + join +
			` AND NOT c.deleted JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id WHERE `)
		if reverse {
			sb.w(`r.target_type = ? AND r.target_id IN (`+placeholders(len(ids))+`)`, append([]any{typ}, anySlice(ids)...)...)
			if inc.SourceType != "*" {
				sb.w(` AND r.type = ?`, inc.SourceType)
			}
		} else {
			if inc.SourceType != "*" && inc.SourceType != typ {
				continue
			}
			sb.w(`r.type = ? AND r.id IN (`+placeholders(len(ids))+`)`, append([]any{typ}, anySlice(ids)...)...)
			if inc.TargetType != "" {
				sb.w(` AND r.target_type = ?`, inc.TargetType)
			}
		}
		if inc.Param != nil {
			sb.w(` AND r.param = ?`, inc.Param.Code)
		}
		sb.w(fmt.Sprintf(` LIMIT %d`, maxIncluded))
		found, err := s.queryVersions(ctx, s.read, sb)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Current lists current resources of a type in id order (reindexing).
func (s *Store) Current(ctx context.Context, typ, afterID string, limit int) ([]store.Version, error) {
	sb := s.builder(time.Time{})
	sb.w(`SELECT `+versionColumns+` FROM resource_current c JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id
		WHERE c.type = ? AND c.id > ? AND NOT c.deleted ORDER BY c.id`, typ, afterID)
	sb.w(fmt.Sprintf(` LIMIT %d`, limit))
	return retryRead(ctx, s, func() ([]store.Version, error) { return s.queryVersions(ctx, s.read, sb) })
}

func (s *Store) builder(now time.Time) *sqlBuilder {
	return &sqlBuilder{now: now, dialect: &s.d}
}
