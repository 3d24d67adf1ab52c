package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/store"
)

var _ store.Terminology = (*Store)(nil)

// termCache remembers which release is current for each system for a
// moment: every terminology read needs it, and a release that stops being
// current stays in the database until the next load of its source, so a
// read that uses a just-replaced release still finds it whole.
type termCache struct {
	mu       sync.Mutex
	at       time.Time
	bySystem map[string]int64
}

const termCacheTTL = 2 * time.Second

func (s *Store) termInvalidate() {
	s.term.mu.Lock()
	s.term.at = time.Time{}
	s.term.mu.Unlock()
}

// currentReleases maps each loaded system to its current release id.
func (s *Store) currentReleases(ctx context.Context) (map[string]int64, error) {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	if s.term.bySystem != nil && time.Since(s.term.at) < termCacheTTL {
		return s.term.bySystem, nil
	}
	m, err := retryRead(ctx, s, func() (map[string]int64, error) {
		rows, err := s.read.QueryContext(ctx, `SELECT s.system, s.release_id FROM term_system s
			JOIN term_current c ON c.release_id = s.release_id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		m := map[string]int64{}
		for rows.Next() {
			var sys string
			var id int64
			if err := rows.Scan(&sys, &id); err != nil {
				return nil, err
			}
			m[sys] = id
		}
		return m, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	s.term.bySystem, s.term.at = m, time.Now()
	return m, nil
}

// releaseOf returns the current release of system, or 0 when none holds it.
func (s *Store) releaseOf(ctx context.Context, system string) (int64, error) {
	m, err := s.currentReleases(ctx)
	if err != nil {
		return 0, err
	}
	return m[system], nil
}

// releaseIDs returns the current release ids (of system, when set).
func (s *Store) releaseIDs(ctx context.Context, system string) ([]int64, error) {
	m, err := s.currentReleases(ctx)
	if err != nil {
		return nil, err
	}
	if system != "" {
		if id := m[system]; id != 0 {
			return []int64{id}, nil
		}
		return nil, nil
	}
	var ids []int64
	for _, id := range m {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BeginRelease implements store.Terminology.
func (s *Store) BeginRelease(ctx context.Context, source, version string) (store.ReleaseWriter, error) {
	if source == "" {
		return nil, errors.New("sqlstore: a release needs a source")
	}
	var id int64
	err := s.InTx(ctx, func(t store.Tx) error {
		tx := t.(*tx)
		if err := tx.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(release_id), 0) + 1 FROM term_release`).Scan(&id); err != nil {
			return err
		}
		_, err := tx.sql.ExecContext(ctx, s.d.rebind(`INSERT INTO term_release (release_id, source, version, loaded) VALUES (?, ?, ?, ?)`),
			id, source, version, time.Now().UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin release of %s: %w", source, err)
	}
	return &releaseWriter{s: s, id: id, source: source, version: version}, nil
}

type releaseWriter struct {
	s               *Store
	id              int64
	source, version string
}

// insert writes rows in multi-row INSERTs, in one transaction.
func (w *releaseWriter) insert(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	per := max(1, min(1000, w.s.d.MaxParams/len(cols)))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	return w.s.InTx(ctx, func(t store.Tx) error {
		tx := t.(*tx)
		for start := 0; start < n; start += per {
			end := min(n, start+per)
			var b strings.Builder
			b.WriteString(w.s.d.insertInto(table) + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, (end-start)*len(cols))
			for i := start; i < end; i++ {
				if i > start {
					b.WriteString(", ")
				}
				b.WriteString(one)
				args = append(args, row(i)...)
			}
			if _, err := tx.sql.ExecContext(ctx, w.s.d.rebind(b.String()), args...); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		return nil
	})
}

func (w *releaseWriter) AddConcepts(ctx context.Context, cs []store.TermConcept) error {
	return w.insert(ctx, "term_concept", []string{"release_id", "system", "code", "active", "module", "effective", "kind", "display", "props"}, len(cs), func(i int) []any {
		c := cs[i]
		return []any{w.id, c.System, c.Code, b2i(c.Active), c.Module, c.Effective, c.Kind, c.Display, c.Props}
	})
}

func (w *releaseWriter) AddDescriptions(ctx context.Context, ds []store.TermDescription) error {
	type word struct {
		word, desc, p3 string
		rank           int
	}
	var words []word
	for _, d := range ds {
		ws := store.TermWords(d.Term)
		seen := map[string]bool{}
		rank := termRank(d.Type, d.Term)
		for _, x := range ws {
			if !seen[x] {
				seen[x] = true
				words = append(words, word{x, d.ID, prefix3(x), rank})
			}
		}
	}
	if err := w.insert(ctx, "term_description", []string{"release_id", "desc_id", "system", "code", "term", "kind", "lang", "active"}, len(ds), func(i int) []any {
		d := ds[i]
		return []any{w.id, d.ID, d.System, d.Code, d.Term, d.Type, d.Lang, b2i(d.Active)}
	}); err != nil {
		return err
	}
	return w.insert(ctx, "term_word", []string{"release_id", "word", "desc_id", "p3", "rank"}, len(words), func(i int) []any {
		return []any{w.id, words[i].word, words[i].desc, words[i].p3, words[i].rank}
	})
}

func (w *releaseWriter) AddRelationships(ctx context.Context, rs []store.TermRelationship) error {
	return w.insert(ctx, "term_relationship", []string{"release_id", "system", "source", "type", "destination", "grp"}, len(rs), func(i int) []any {
		r := rs[i]
		return []any{w.id, r.System, r.Source, r.Type, r.Dest, r.Group}
	})
}

func (w *releaseWriter) AddAssociations(ctx context.Context, as []store.TermAssociation) error {
	return w.insert(ctx, "term_association", []string{"release_id", "system", "source", "refset", "target"}, len(as), func(i int) []any {
		a := as[i]
		return []any{w.id, a.System, a.Source, a.Refset, a.Target}
	})
}

func (w *releaseWriter) AddMembers(ctx context.Context, ms []store.TermMember) error {
	return w.insert(ctx, "term_member", []string{"release_id", "refset", "code"}, len(ms), func(i int) []any {
		return []any{w.id, ms[i].Refset, ms[i].Code}
	})
}

// termRank orders descriptions as the typeahead ranks them before the
// query's own first word is considered: preferred terms, then synonyms,
// then fully specified names; shorter before longer.
func termRank(kind int, term string) int {
	return kind*1000 + min(utf8.RuneCountInString(term), 999)
}

// prefix3 is a word's first three letters (the word itself if shorter).
func prefix3(w string) string {
	n := 0
	for i := range w {
		if n == 3 {
			return w[:i]
		}
		n++
	}
	return w
}

var termTables = []string{"term_word", "term_description", "term_concept", "term_relationship", "term_association", "term_member", "term_system", "term_release"}

// dropRelease removes a release's rows, a table at a time.
func (s *Store) dropRelease(ctx context.Context, id int64) error {
	for _, table := range termTables {
		err := s.InTx(ctx, func(t store.Tx) error {
			_, err := t.(*tx).sql.ExecContext(ctx, s.d.rebind(`DELETE FROM `+table+` WHERE release_id = ?`), id)
			return err
		})
		if err != nil {
			return fmt.Errorf("remove release %d from %s: %w", id, table, err)
		}
	}
	return nil
}

func (w *releaseWriter) Abort(ctx context.Context) error {
	// The caller's context may be what was cancelled; the removal must
	// still happen.
	return w.s.dropRelease(context.WithoutCancel(ctx), w.id)
}

func (w *releaseWriter) Commit(ctx context.Context) (store.TermRelease, error) {
	s := w.s
	var previous int64
	var stale []int64
	err := s.InTx(ctx, func(t store.Tx) error {
		tx := t.(*tx)
		if _, err := tx.sql.ExecContext(ctx, s.d.rebind(`INSERT INTO term_system (release_id, system)
			SELECT DISTINCT release_id, system FROM term_concept WHERE release_id = ?`), w.id); err != nil {
			return err
		}
		// A system belongs to one source: a release of another source
		// that holds a system this one does would answer for it too.
		var clash string
		err := tx.sql.QueryRowContext(ctx, s.d.rebind(`SELECT s.system FROM term_system s
			JOIN term_current c ON c.release_id = s.release_id AND c.source <> ?
			WHERE s.system IN (SELECT system FROM term_system WHERE release_id = ?)`), w.source, w.id).Scan(&clash)
		if err == nil {
			return fmt.Errorf("the code system %s is already loaded by another source", clash)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.sql.QueryRowContext(ctx, s.d.rebind(`SELECT c.release_id FROM term_current c WHERE c.source = ? `+s.d.ReadLock), w.source).Scan(&previous)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.sql.ExecContext(ctx, s.d.rebind(`DELETE FROM term_current WHERE source = ?`), w.source); err != nil {
			return err
		}
		if _, err := tx.sql.ExecContext(ctx, s.d.rebind(`INSERT INTO term_current (source, release_id) VALUES (?, ?)`), w.source, w.id); err != nil {
			return err
		}
		rows, err := tx.sql.QueryContext(ctx, s.d.rebind(`SELECT release_id FROM term_release WHERE source = ? AND release_id <> ? AND release_id <> ?`), w.source, w.id, previous)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			stale = append(stale, id)
		}
		return rows.Err()
	})
	if err != nil {
		return store.TermRelease{}, fmt.Errorf("make release %d of %s current: %w", w.id, w.source, err)
	}
	s.termInvalidate()
	if s.d.Name == "postgres" {
		// Fresh tables have no statistics, without which the planner
		// guesses badly, and no visibility map, without which an
		// index-only scan reads every row from the table anyway.
		for _, t := range termTables {
			if _, err := s.write.ExecContext(ctx, `VACUUM (ANALYZE) `+t); err != nil {
				return store.TermRelease{}, fmt.Errorf("vacuum %s: %w", t, err)
			}
		}
	}
	for _, id := range stale {
		if err := s.dropRelease(ctx, id); err != nil {
			return store.TermRelease{}, err
		}
	}
	rels, err := s.TermReleases(ctx)
	if err != nil {
		return store.TermRelease{}, err
	}
	for _, r := range rels {
		if r.ID == w.id {
			return r, nil
		}
	}
	return store.TermRelease{ID: w.id, Source: w.source, Version: w.version}, nil
}

func (s *Store) TermReleases(ctx context.Context) ([]store.TermRelease, error) {
	return retryRead(ctx, s, func() ([]store.TermRelease, error) {
		rows, err := s.read.QueryContext(ctx, `SELECT r.release_id, r.source, r.version, r.loaded, COALESCE(s.system, '')
			FROM term_current c JOIN term_release r ON r.release_id = c.release_id
			LEFT JOIN term_system s ON s.release_id = c.release_id ORDER BY r.source, s.system`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.TermRelease
		for rows.Next() {
			var r store.TermRelease
			var loaded int64
			var sys string
			if err := rows.Scan(&r.ID, &r.Source, &r.Version, &loaded, &sys); err != nil {
				return nil, err
			}
			if n := len(out); n > 0 && out[n-1].ID == r.ID {
				out[n-1].Systems = append(out[n-1].Systems, sys)
				continue
			}
			r.Loaded = time.UnixMicro(loaded).UTC()
			if sys != "" {
				r.Systems = []string{sys}
			}
			out = append(out, r)
		}
		return out, rows.Err()
	})
}

func (s *Store) TermConcept(ctx context.Context, system, code string) (store.TermConcept, []store.TermDescription, error) {
	rel, err := s.releaseOf(ctx, system)
	if err != nil {
		return store.TermConcept{}, nil, err
	}
	if rel == 0 {
		return store.TermConcept{}, nil, store.ErrNotFound
	}
	type result struct {
		c  store.TermConcept
		ds []store.TermDescription
	}
	r, err := retryRead(ctx, s, func() (result, error) {
		var r result
		var active int
		err := s.read.QueryRowContext(ctx, s.d.rebind(`SELECT system, code, active, module, effective, kind, display, props
			FROM term_concept WHERE release_id = ? AND system = ? AND code = ?`), rel, system, code).
			Scan(&r.c.System, &r.c.Code, &active, &r.c.Module, &r.c.Effective, &r.c.Kind, &r.c.Display, &r.c.Props)
		if errors.Is(err, sql.ErrNoRows) {
			return r, store.ErrNotFound
		}
		if err != nil {
			return r, err
		}
		r.c.Active = active == 1
		rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT desc_id, system, code, term, kind, lang, active
			FROM term_description WHERE release_id = ? AND system = ? AND code = ? ORDER BY kind, term`), rel, system, code)
		if err != nil {
			return r, err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDescription(rows)
			if err != nil {
				return r, err
			}
			r.ds = append(r.ds, d)
		}
		return r, rows.Err()
	})
	return r.c, r.ds, err
}

func scanDescription(r rowScanner) (store.TermDescription, error) {
	var d store.TermDescription
	var active int
	err := r.Scan(&d.ID, &d.System, &d.Code, &d.Term, &d.Type, &d.Lang, &active)
	d.Active = active == 1
	return d, err
}

func (s *Store) TermRelationships(ctx context.Context, system, code string) ([]store.TermRelationship, error) {
	rel, err := s.releaseOf(ctx, system)
	if err != nil || rel == 0 {
		return nil, err
	}
	return retryRead(ctx, s, func() ([]store.TermRelationship, error) {
		rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT system, source, type, destination, grp FROM term_relationship
			WHERE release_id = ? AND system = ? AND source = ? ORDER BY type, grp, destination`), rel, system, code)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.TermRelationship
		for rows.Next() {
			var r store.TermRelationship
			if err := rows.Scan(&r.System, &r.Source, &r.Type, &r.Dest, &r.Group); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	})
}

func (s *Store) TermAssociations(ctx context.Context, system, code string) ([]store.TermAssociation, error) {
	rel, err := s.releaseOf(ctx, system)
	if err != nil || rel == 0 {
		return nil, err
	}
	return retryRead(ctx, s, func() ([]store.TermAssociation, error) {
		rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT system, source, refset, target FROM term_association
			WHERE release_id = ? AND system = ? AND source = ? ORDER BY refset, target`), rel, system, code)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.TermAssociation
		for rows.Next() {
			var a store.TermAssociation
			if err := rows.Scan(&a.System, &a.Source, &a.Refset, &a.Target); err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, rows.Err()
	})
}

// ancestorsCTE and descendantsCTE walk IS-A from one code (the first
// parameter) within a release and system; UNION (not UNION ALL) stops at
// codes reached already, so a concept with several parents is walked once.
var (
	ancestorsCTE   = hierarchyWalk(false, "?")
	descendantsCTE = hierarchyWalk(true, "?")
)

// hierarchyWalk is a recursive walk along IS-A from one code (its first
// parameter) within a release (the SQL release gives it) and a system
// (the parameter after the release's): down to descendants or up to
// ancestors. UNION, not UNION ALL, stops at codes reached already, so a
// concept with several parents is walked once.
func hierarchyWalk(down bool, release string) string {
	from, to := "r.destination", "r.source"
	if down {
		from, to = "r.source", "r.destination"
	}
	// walk CROSS JOIN r: SQLite then loops over the codes reached and
	// looks each one's relationships up in the index, instead of scanning
	// every relationship for each step (a second a walk at 350,000).
	return `WITH RECURSIVE walk(code) AS (SELECT CAST(? AS TEXT) UNION
	SELECT ` + from + ` FROM walk CROSS JOIN term_relationship r
	WHERE ` + to + ` = walk.code AND r.release_id = ` + release + ` AND r.system = ? AND r.type = '` + store.IsA + `') `
}

func (s *Store) TermSubsumes(ctx context.Context, system, a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	rel, err := s.releaseOf(ctx, system)
	if err != nil || rel == 0 {
		return false, err
	}
	return retryRead(ctx, s, func() (bool, error) {
		var n int
		err := s.read.QueryRowContext(ctx, s.d.rebind(ancestorsCTE+`SELECT 1 FROM walk WHERE code = ? LIMIT 1`), b, rel, system, a).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	})
}

func (s *Store) walk(ctx context.Context, cte, system, code string, self bool, limit int) ([]string, error) {
	rel, err := s.releaseOf(ctx, system)
	if err != nil || rel == 0 {
		return nil, err
	}
	q := cte + `SELECT code FROM walk`
	args := []any{code, rel, system}
	if !self {
		q += ` WHERE code <> ?`
		args = append(args, code)
	}
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	return retryRead(ctx, s, func() ([]string, error) { return queryStrings(ctx, s.read, s.d.rebind(q), args...) })
}

func queryStrings(ctx context.Context, c conn, q string, args ...any) ([]string, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Store) TermDescendants(ctx context.Context, system, code string, self bool, limit int) ([]string, error) {
	return s.walk(ctx, descendantsCTE, system, code, self, limit)
}

func (s *Store) TermAncestors(ctx context.Context, system, code string, self bool) ([]string, error) {
	return s.walk(ctx, ancestorsCTE, system, code, self, 0)
}

// SNOMED is the system reference sets belong to.
const snomedSystem = "http://snomed.info/sct"

func (s *Store) TermRefsetMembers(ctx context.Context, refset string, limit int) ([]string, error) {
	rel, err := s.releaseOf(ctx, snomedSystem)
	if err != nil || rel == 0 {
		return nil, err
	}
	q := `SELECT code FROM term_member WHERE release_id = ? AND refset = ? ORDER BY code`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	return retryRead(ctx, s, func() ([]string, error) { return queryStrings(ctx, s.read, s.d.rebind(q), rel, refset) })
}

func (s *Store) TermCodes(ctx context.Context, system string, limit int) ([]store.TermConcept, error) {
	rel, err := s.releaseOf(ctx, system)
	if err != nil || rel == 0 {
		return nil, err
	}
	q := `SELECT system, code, active, module, effective, kind, display, props FROM term_concept
		WHERE release_id = ? AND system = ? ORDER BY code`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	return retryRead(ctx, s, func() ([]store.TermConcept, error) {
		rows, err := s.read.QueryContext(ctx, s.d.rebind(q), rel, system)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.TermConcept
		for rows.Next() {
			var c store.TermConcept
			var active int
			if err := rows.Scan(&c.System, &c.Code, &active, &c.Module, &c.Effective, &c.Kind, &c.Display, &c.Props); err != nil {
				return nil, err
			}
			c.Active = active == 1
			out = append(out, c)
		}
		return out, rows.Err()
	})
}

// rangeCap is how many word-index rows a typed word may match for the
// search to read them all and rank exactly; beyond it the words are common
// and the search reads them best first instead (rankedSearch).
const rangeCap = 1000

// countCap bounds the count of a word's rows that picks the drive word.
const countCap = 20000

// TermSearch runs the typeahead. Each typed word's prefix range in the
// word index is counted (up to rangeCap): when one is small the search
// reads all its rows, keeps those whose term has the other words too, and
// ranks them exactly; when every word is common it reads the longest
// word's rows in rank order (preferred and short terms first) and stops
// once it has enough. Either way the rows are then ranked by the full
// key: terms beginning with the first word typed, preferred before
// synonym before fully specified name, shorter before longer; each
// concept kept once, with its best description.
func (s *Store) TermSearch(ctx context.Context, q store.TermQuery) ([]store.TermMatch, error) {
	if len(q.Words) == 0 {
		return nil, nil
	}
	rels, err := s.releaseIDs(ctx, q.System)
	if err != nil || len(rels) == 0 {
		return nil, err
	}
	if (len(q.Below) > 0 || q.Refset != "") && q.System == "" {
		return nil, errors.New("sqlstore: a typeahead within a hierarchy or reference set needs its system")
	}
	if q.Within != nil && len(q.Within) == 0 {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	// The most selective word drives (counted up to countCap index
	// entries, which costs little: the count reads the index alone).
	drive, driveRows := "", -1
	for _, w := range q.Words {
		n, err := s.countWordRows(ctx, rels, w)
		if err != nil {
			return nil, err
		}
		if driveRows < 0 || n < driveRows || n == driveRows && len(w) > len(drive) {
			drive, driveRows = w, n
		}
	}
	// A drive word matching many rows is read best first (through the
	// ranked index), stopping once enough descriptions have every word:
	// quick where the words often go together, a read of the drive
	// word's rows where they rarely do. A selective one is read whole
	// and ranked exactly.
	ranked := driveRows >= rangeCap
	want := q.Offset + limit
	fetch := want*4 + 8
	if !ranked {
		fetch = max(fetch, rangeCap)
	}
	for {
		var rows []termRow
		for _, rel := range rels {
			sql, args := s.termSearchSQL(q, rel, drive, ranked, fetch)
			rs, err := s.termSearchRows(ctx, sql, args)
			if err != nil {
				return nil, err
			}
			rows = append(rows, rs...)
		}
		out, enough := rankTermRows(rows, q, limit)
		if enough || !ranked && len(rows) < fetch*len(rels) || ranked && len(rows) < fetch {
			return out, nil
		}
		fetch *= 4
	}
}

// countWordRows counts the word-index rows word's prefix matches, up to
// countCap.
func (s *Store) countWordRows(ctx context.Context, rels []int64, word string) (int, error) {
	var b strings.Builder
	args := make([]any, 0, len(rels)+3)
	b.WriteString(`SELECT count(*) FROM (SELECT 1 FROM term_word WHERE release_id IN (`)
	for i, id := range rels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, id)
	}
	b.WriteString(`) AND word >= ? AND word < ? LIMIT ?) x`)
	args = append(args, word, prefixEnd(word), countCap)
	return retryRead(ctx, s, func() (int, error) {
		var n int
		err := s.read.QueryRowContext(ctx, s.d.rebind(b.String()), args...).Scan(&n)
		return n, err
	})
}

// termSearchSQL is the query of one release: every row of the drive
// word's range (exact), or its rows in rank order, at most fetch.
func (s *Store) termSearchSQL(q store.TermQuery, rel int64, drive string, ranked bool, fetch int) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT d.desc_id, d.system, d.code, d.term, d.kind, d.lang, d.active, c.display, c.active, c.kind, c.props
		FROM term_word w JOIN term_description d ON d.release_id = w.release_id AND d.desc_id = w.desc_id
		JOIN term_concept c ON c.release_id = d.release_id AND c.system = d.system AND c.code = d.code
		WHERE w.release_id = ?`)
	args = append(args, rel)
	word := "w.word"
	if ranked && len([]rune(drive)) >= 3 {
		b.WriteString(` AND w.p3 = ?`)
		args = append(args, prefix3(drive))
		// Read through the ranked index, in rank order, not the word
		// range (whose rows would all be read and sorted).
		word = s.d.Unindexed("w.word")
	}
	b.WriteString(` AND ` + word + ` >= ? AND ` + word + ` < ?`)
	args = append(args, drive, prefixEnd(drive))
	if q.System != "" {
		b.WriteString(` AND d.system = ?`)
		args = append(args, q.System)
	}
	if !q.Inactive {
		b.WriteString(` AND d.active = 1 AND c.active = 1`)
	}
	skipped := false
	for _, w := range q.Words {
		if w == drive && !skipped {
			skipped = true
			continue
		}
		// The other words are checked in the probe index, not in the
		// description's text: an index lookup, no row read. No ProbeSuffix: PostgreSQL may make this a hash semi-join of
		// two index-only range scans, cheaper than a probe a row.
		b.WriteString(` AND EXISTS (SELECT 1 FROM term_word o WHERE o.release_id = w.release_id AND o.desc_id = w.desc_id
			AND o.word >= ? AND o.word < ?)`)
		args = append(args, w, prefixEnd(w))
	}
	if q.Within != nil {
		b.WriteString(` AND d.code IN (`)
		for i, c := range q.Within {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, c)
		}
		b.WriteString(`)`)
	}
	for _, code := range q.Below {
		// A recursive walk down from code, in the same release.
		b.WriteString(` AND d.code IN (` + descendantsCTE + ` SELECT code FROM walk)`)
		args = append(args, code, rel, q.System)
	}
	if len(q.Kinds) > 0 {
		b.WriteString(` AND c.kind IN (`)
		for i, k := range q.Kinds {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, k)
		}
		b.WriteString(`)`)
	}
	if q.Refset != "" {
		b.WriteString(` AND d.code IN (SELECT m.code FROM term_member m WHERE m.release_id = ? AND m.refset = ?)`)
		args = append(args, rel, q.Refset)
	}
	if ranked {
		b.WriteString(` ORDER BY w.rank LIMIT ?`)
	} else {
		b.WriteString(` LIMIT ?`)
	}
	args = append(args, fetch)
	return s.d.rebind(b.String()), args
}

type termRow struct {
	m store.TermMatch
	// The ranking key's parts computed once: 0 when the term begins
	// with the first word typed, and the term's length in letters.
	starts, length int
}

func (s *Store) termSearchRows(ctx context.Context, query string, args []any) ([]termRow, error) {
	return retryRead(ctx, s, func() ([]termRow, error) {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []termRow
		for rows.Next() {
			var r termRow
			var dActive, cActive int
			d := &r.m.Description
			if err := rows.Scan(&d.ID, &d.System, &d.Code, &d.Term, &d.Type, &d.Lang, &dActive, &r.m.Preferred, &cActive, &r.m.Kind, &r.m.Props); err != nil {
				return nil, err
			}
			d.Active, r.m.Active = dActive == 1, cActive == 1
			out = append(out, r)
		}
		return out, rows.Err()
	})
}

// rankTermRows orders the rows by the typeahead's key, keeps each
// concept's best, and pages; enough is false when fewer than the page
// were found.
func rankTermRows(rows []termRow, q store.TermQuery, limit int) ([]store.TermMatch, bool) {
	first := q.Words[0]
	for i := range rows {
		d := &rows[i].m.Description
		rows[i].starts = 1
		if ws := store.TermWords(d.Term); len(ws) > 0 && strings.HasPrefix(ws[0], first) {
			rows[i].starts = 0
		}
		rows[i].length = utf8.RuneCountInString(d.Term)
	}
	slices.SortStableFunc(rows, func(a, b termRow) int {
		switch {
		case a.starts != b.starts:
			return a.starts - b.starts
		case a.m.Description.Type != b.m.Description.Type:
			return a.m.Description.Type - b.m.Description.Type
		case a.length != b.length:
			return a.length - b.length
		case a.m.Description.Term != b.m.Description.Term:
			return strings.Compare(a.m.Description.Term, b.m.Description.Term)
		}
		return strings.Compare(a.m.Description.ID, b.m.Description.ID)
	})
	seen := map[string]bool{}
	var out []store.TermMatch
	skipped := 0
	for _, r := range rows {
		k := r.m.Description.System + "|" + r.m.Description.Code
		if seen[k] {
			continue
		}
		seen[k] = true
		if skipped < q.Offset {
			skipped++
			continue
		}
		out = append(out, r.m)
		if len(out) == limit {
			return out, true
		}
	}
	return out, false
}
