package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// A streamed first page (issue 12) answers a search whose lead matches a
// large part of its type without reading all of its matches: the type's
// resources are walked in the page's order, (type, rid), through the
// (type, rid) index, each probed for every filter through the owner indexes,
// until the page is full. Led by its index instead, the page must find,
// count and sort every match to know its first 51 ids: at 10x Synthea,
// Observation?category=...|laboratory (192,630 of 303,770 Observations)
// took 820-900 ms on SQLite and 150 ms on PostgreSQL, where the walk
// reads 80 of them.
//
// The walk pays one probe per resource of the type it passes, so it is
// taken only when the lead's index rows number at least streamLeadRows
// per row of the page (counted with a bound, reading no more than that),
// and it passes at most streamWalkRows resources per row of the page (a
// bound on the rids, found through the same index). A walk that fills
// no page within its bound, because the matches are rarer than their
// count suggests or sit late in the order, is dropped and the search is
// led by its index as before: the page is the same either way.
//
// A streamed page is not counted: Bundle.total is left out, unless
// _total (or _summary=count) asks for it, when count reads it from the
// lead's index rows. Its next link is a continuation as any index-led
// first page's (continuation.go), and the pages it leads to are read by
// key too (keyedPage).
var (
	streamLeadRows = 200
	streamWalkRows = 200
)

// streamedPages counts the pages streamed, for tests to tell a streamed
// page from one led by its index when both report a total.
var streamedPages atomic.Int64

// streams tells whether a search's first page may be streamed: one whose
// page is read from index rows alone (indexOnlyPage), led by one index
// table's rows (not a chain's, whose probe on a walked resource would
// read every resource its targets match).
func streams(q *search.Query, l int) bool {
	return indexOnlyPage(q, l) && q.Filters[l].Chain == nil
}

// streamedPage reads the first page by the walk when the lead is large
// enough and the walk fills the page within its bound; ok is false
// otherwise, and the caller leads the search by its index.
func (s *Store) streamedPage(ctx context.Context, q *search.Query, l int) (matches []store.Version, ok bool, err error) {
	if many, err := s.leadIsLarge(ctx, q, l); err != nil || !many {
		return nil, false, err
	}
	// From before the first id: every id of the type is greater than "".
	if matches, ok, err = s.walkFrom(ctx, q, continuation{Type: q.Types[0]}); err != nil || !ok {
		return nil, false, err
	}
	streamedPages.Add(1)
	return matches, true, nil
}

// countsByKey tells whether count may read a search's matches as the
// distinct (patient, id) of its lead's token rows: a page read from index
// rows (indexOnlyPage) led by a token parameter's own rows (not a chain's,
// nor a keyed chain's parts).
func countsByKey(q *search.Query, l int) bool {
	if !indexOnlyPage(q, l) || keyedChain(q, l) >= 0 {
		return false
	}
	f := q.Filters[l]
	table, _, _ := filterTable(f)
	return f.Chain == nil && table == "token_index"
}

// leadIsLarge tells whether the lead has at least streamLeadRows index
// rows per row of the page, reading no more than that.
func (s *Store) leadIsLarge(ctx context.Context, q *search.Query, l int) (bool, error) {
	limit := (q.Count + 1) * streamLeadRows
	sb := s.builder(time.Now())
	sb.w(`SELECT count(*) FROM (`)
	sb.filterIDs(q.Filters[l], q.Types[0], false)
	sb.w(fmt.Sprintf(` LIMIT %d) x`, limit))
	var n int
	err := s.read.QueryRowContext(ctx, s.d.rebind(sb.b.String()), sb.args...).Scan(&n)
	return n >= limit, err
}

// keyedPage reads a streamed search's later page by key (ok false when
// the search is not streamed: its list is stored as before): the page
// after the continuation's resource, or before it for one that points
// back, walked as the first page is (within the same bound, found first)
// or, when the walk fills no page within it, led by the index from the
// resource on. Nothing is stored, so every page costs what the first
// does: at 10x the second page of Observation?category=...|laboratory
// took 1.0-1.7 s on SQLite and 2.2 s on PostgreSQL to store the 100,000
// matches it could page through. A search that asks for its total (which
// a keyed page would count again on every page) stores its list instead;
// a back token (only keyed pages give them) is read by key even then.
func (s *Store) keyedPage(ctx context.Context, q *search.Query, c continuation, byKey bool) (store.SearchPage, bool, error) {
	l := lead(q)
	// A search that asks for its total stores its list, counted once, as
	// before: by key every page would count again. (A search that streams
	// has one type: a token past the cut may come from one with none.)
	if !streams(q, l) || c.Type != q.Types[0] || wantsTotal(q) && !c.Back && !byKey {
		if c.Back {
			return store.SearchPage{}, false, store.ErrSearchExpired // not the search the token came from
		}
		return store.SearchPage{}, false, nil
	}
	// A caller reading to the end (store.PageRequest.ByKey) walks
	// whatever the lead's size: a stored list would stop at
	// MaxStoredResults.
	many, err := byKey, error(nil)
	if !many {
		if many, err = s.leadIsLarge(ctx, q, l); err != nil {
			return store.SearchPage{}, false, err
		}
	}
	if !many && !c.Back {
		return store.SearchPage{}, false, nil
	}
	var found []store.Version
	ok := false
	if many {
		if found, ok, err = s.walkFrom(ctx, q, c); err != nil {
			return store.SearchPage{}, false, err
		}
	}
	if !ok {
		if found, err = s.ledFrom(ctx, q, l, c); err != nil {
			return store.SearchPage{}, false, err
		}
	}
	// found is in the direction read, nearest the resource first, with
	// one more than the page when more lie beyond it.
	beyond := len(found) > q.Count
	if beyond {
		found = found[:q.Count]
	}
	if c.Back {
		slices.Reverse(found)
	}
	page := store.SearchPage{Matches: found, Total: -1, Keyed: true}
	if len(found) > 0 {
		// Going forward, more after the page only if found says so, and a
		// page before it (the one the token came from); going back, the
		// reverse.
		first, last := found[0], found[len(found)-1]
		if page.HasMore = beyond || c.Back; page.HasMore {
			page.SearchID = continuation{Type: last.Type, ID: last.ID}.token(q.AccessKey)
		}
		if beyond || !c.Back {
			page.PreviousID = continuation{Type: first.Type, ID: first.ID, Back: true}.token(q.AccessKey)
		}
	}
	if wantsTotal(q) {
		if page.Total, err = s.count(ctx, q); err != nil {
			return store.SearchPage{}, false, err
		}
	}
	return page, true, nil
}

// walkFrom walks the type by key from the continuation's resource (not
// included; from the start for an empty id), in its direction, for one
// more than a page, probing every filter, within streamWalkRows
// resources per row of the page: the bound, the rid that many resources
// on, is found first through the (type, rid) index. ok is false when the walk
// met its bound before it had them; at the end of the type it is true
// with what there was (all of it, for a first page).
func (s *Store) walkFrom(ctx context.Context, q *search.Query, c continuation) (found []store.Version, ok bool, err error) {
	rows := q.Count + 1
	cmp, dir, within := c.direction()
	var bound int64
	bsb := s.builder(time.Time{})
	bsb.w(`SELECT k.rid FROM resource_current k WHERE k.type = ? AND k.rid `+cmp+` `, c.Type)
	bsb.ridAfter(c)
	bsb.w(fmt.Sprintf(` ORDER BY k.type%s, k.rid%s LIMIT 1 OFFSET %d`, dir, dir, rows*streamWalkRows))
	err = s.read.QueryRowContext(ctx, s.d.rebind(bsb.b.String()), bsb.args...).Scan(&bound)
	bounded := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	// The walk reads the (type, rid) index alone (index-only on
	// PostgreSQL), and the page's versions are joined to its rows after
	// it. With the version and deletion columns in the walk, the generic
	// plan PostgreSQL keeps for a prepared statement, taking the two
	// bounds for a narrow range, read the whole range through a bitmap
	// and sorted it (60 ms for a page the walk reads in 2). A deleted
	// resource has no index rows, so the lead's probe leaves it out; the
	// join checks again.
	typ := q.Types[0]
	sb := s.builder(time.Now())
	sb.w(`WITH p AS MATERIALIZED (SELECT c.rid FROM resource_current c WHERE c.type = ? AND c.rid `+cmp+` `, typ)
	sb.ridAfter(c)
	if bounded {
		sb.w(` AND c.rid `+within+` ?`, bound)
	}
	sb.probeAll(q.Filters, typ, keyOf("c"))
	sb.w(fmt.Sprintf(` ORDER BY c.type%s, c.rid%s LIMIT %d)`, dir, dir, rows))
	sb.pageVersions(dir, "")
	if found, err = s.queryVersions(ctx, s.read, sb); err != nil {
		return nil, false, err
	}
	return found, len(found) == rows || !bounded, nil
}

// ledFrom reads one more than a page of matches from the continuation's
// resource on (not included), in its direction, led by the index as the
// first page of such a search is (indexOnlyPage).
func (s *Store) ledFrom(ctx context.Context, q *search.Query, l int, c continuation) ([]store.Version, error) {
	cmp, dir, _ := c.direction()
	sb := s.builder(time.Now())
	sb.w(`WITH l AS MATERIALIZED (`)
	sb.leadIDs(q, l, q.Types[0])
	sb.w(`), p AS MATERIALIZED (SELECT x.rid FROM (SELECT DISTINCT rid FROM l WHERE rid ` + cmp + ` `)
	sb.ridAfter(c)
	sb.w(fmt.Sprintf(`) x ORDER BY x.rid%s LIMIT %d)`, dir, q.Count+1))
	sb.pageVersions(dir, "")
	return s.queryVersions(ctx, s.read, sb)
}

// direction is how a page read by key from the continuation's resource
// compares rids (cmp; within for the far bound) and orders them (dir).
func (c continuation) direction() (cmp, dir, within string) {
	if c.Back {
		return "<", " DESC", ">="
	}
	return ">", "", "<="
}

// pageVersions ends a statement whose CTE p holds the page's rids (of
// one type): the versions of those still current, in the order dir, with
// extra columns of p after them. Found by the rid alone, without the
// type beside it (doc.go). p's rows lead the join (CROSS JOIN
// fixes SQLite's order; see firstPage).
func (sb *sqlBuilder) pageVersions(dir, extra string) {
	sb.w(fmt.Sprintf(` SELECT `+versionColumns+`%s FROM p CROSS JOIN resource_current c JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id WHERE c.rid = p.rid AND NOT c.deleted ORDER BY c.rid%s`, extra, dir))
}
