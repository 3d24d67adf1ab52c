package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// A streamed first page (issue 12) answers a search whose lead matches a
// large part of its type without reading all of its matches: the type's
// resources are walked in the page's order, (type, id), through the
// primary key, each probed for every filter through the owner indexes,
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
// bound on the ids, found through the primary key). A walk that fills
// no page within its bound, because the matches are rarer than their
// count suggests or sit late in id order, is dropped and the search is
// led by its index as before: the page is the same either way.
//
// A streamed page is not counted: Bundle.total is left out, unless
// _total (or _summary=count) asks for it, when count reads it from the
// lead's index rows. Its next link is a continuation as any index-led
// first page's (continuation.go).
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
	rows := q.Count + 1
	sb := s.builder(time.Now())
	sb.w(`SELECT count(*) FROM (`)
	sb.filterIDs(q.Filters[l], q.Types[0], false)
	sb.w(fmt.Sprintf(` LIMIT %d) x`, rows*streamLeadRows))
	var n int
	if err := s.read.QueryRowContext(ctx, s.d.rebind(sb.b.String()), sb.args...).Scan(&n); err != nil {
		return nil, false, err
	}
	if n < rows*streamLeadRows {
		return nil, false, nil
	}
	sb = s.builder(time.Now())
	sb.w(`SELECT ` + versionColumns)
	sb.from(true)
	sb.where(q, noLead) // every filter probed on the walked resource
	// The bound: the id streamWalkRows per row of the page on. NULL for
	// a type with fewer resources, which matches nothing (and so is led
	// by its index).
	sb.w(fmt.Sprintf(` AND c.id <= (SELECT k.id FROM resource_current k WHERE k.type = ? ORDER BY k.type, k.id LIMIT 1 OFFSET %d)`, rows*streamWalkRows), q.Types[0])
	sb.orderBy(q)
	sb.w(fmt.Sprintf(` LIMIT %d`, rows))
	if matches, err = s.queryVersions(ctx, s.read, sb); err != nil || len(matches) < rows {
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
