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
			b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
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
	type word struct{ word, desc string }
	var words []word
	norms := make([]string, len(ds))
	for i, d := range ds {
		ws := store.TermWords(d.Term)
		norms[i] = " " + strings.Join(ws, " ") + " "
		seen := map[string]bool{}
		for _, x := range ws {
			if !seen[x] {
				seen[x] = true
				words = append(words, word{x, d.ID})
			}
		}
	}
	if err := w.insert(ctx, "term_description", []string{"release_id", "desc_id", "system", "code", "term", "norm", "kind", "lang", "active"}, len(ds), func(i int) []any {
		d := ds[i]
		return []any{w.id, d.ID, d.System, d.Code, d.Term, norms[i], d.Type, d.Lang, b2i(d.Active)}
	}); err != nil {
		return err
	}
	return w.insert(ctx, "term_word", []string{"release_id", "word", "desc_id"}, len(words), func(i int) []any {
		return []any{w.id, words[i].word, words[i].desc}
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
		// Fresh tables have no statistics; without them the planner
		// guesses, badly, for the word and relationship lookups.
		for _, t := range termTables {
			if _, err := s.write.ExecContext(ctx, `ANALYZE `+t); err != nil {
				return store.TermRelease{}, fmt.Errorf("analyze %s: %w", t, err)
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

// TermSearch runs the typeahead. The longest typed word drives the search
// through the word index (a prefix range); the others must start a word
// of the description's norm. Rows come ranked: descriptions that begin
// with the first word typed, then preferred terms before synonyms before
// fully specified names, then shorter terms; each concept is kept once,
// with its best description.
func (s *Store) TermSearch(ctx context.Context, q store.TermQuery) ([]store.TermMatch, error) {
	if len(q.Words) == 0 {
		return nil, nil
	}
	rels, err := s.releaseIDs(ctx, q.System)
	if err != nil || len(rels) == 0 {
		return nil, err
	}
	drive := slices.MaxFunc(q.Words, func(a, b string) int { return len(a) - len(b) })
	var b strings.Builder
	var args []any
	b.WriteString(`SELECT d.desc_id, d.system, d.code, d.term, d.kind, d.lang, d.active, c.display, c.active
		FROM term_word w JOIN term_description d ON d.release_id = w.release_id AND d.desc_id = w.desc_id
		JOIN term_concept c ON c.release_id = d.release_id AND c.system = d.system AND c.code = d.code
		WHERE w.release_id IN (`)
	for i, id := range rels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, id)
	}
	b.WriteString(`) AND w.word >= ? AND w.word < ?`)
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
		b.WriteString(` AND d.norm LIKE ? ESCAPE '\'`)
		args = append(args, "% "+likeEscape(w)+"%")
	}
	if q.Within != nil {
		if len(q.Within) == 0 {
			return nil, nil
		}
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
	if (len(q.Below) > 0 || q.Refset != "") && q.System == "" {
		return nil, errors.New("sqlstore: a typeahead within a hierarchy or reference set needs its system")
	}
	for _, code := range q.Below {
		// A recursive walk down from code, in the same release.
		b.WriteString(` AND d.code IN (` + descendantsCTE + ` SELECT code FROM walk)`)
		args = append(args, code, rels[0], q.System)
	}
	if q.Refset != "" {
		b.WriteString(` AND d.code IN (SELECT m.code FROM term_member m WHERE m.release_id = ? AND m.refset = ?)`)
		args = append(args, rels[0], q.Refset)
	}
	b.WriteString(` ORDER BY CASE WHEN d.norm LIKE ? ESCAPE '\' THEN 0 ELSE 1 END, d.kind, length(d.term), d.term, d.desc_id LIMIT ?`)
	args = append(args, " "+likeEscape(q.Words[0])+"%")
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	want := q.Offset + limit
	fetch := want*4 + 8
	query := s.d.rebind(b.String())
	for {
		out, rows, err := s.termSearchOnce(ctx, query, append(slices.Clone(args), fetch), q.Offset, limit)
		if err != nil {
			return nil, err
		}
		if len(out) >= limit || rows < fetch {
			return out, nil
		}
		fetch *= 4
	}
}

func (s *Store) termSearchOnce(ctx context.Context, query string, args []any, offset, limit int) ([]store.TermMatch, int, error) {
	type res struct {
		out  []store.TermMatch
		rows int
	}
	r, err := retryRead(ctx, s, func() (res, error) {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return res{}, err
		}
		defer rows.Close()
		var r res
		seen := map[string]bool{}
		skipped := 0
		for rows.Next() {
			r.rows++
			var m store.TermMatch
			var active int
			d := &m.Description
			var dActive int
			if err := rows.Scan(&d.ID, &d.System, &d.Code, &d.Term, &d.Type, &d.Lang, &dActive, &m.Preferred, &active); err != nil {
				return res{}, err
			}
			d.Active, m.Active = dActive == 1, active == 1
			key := d.System + "|" + d.Code
			if seen[key] {
				continue
			}
			seen[key] = true
			if skipped < offset {
				skipped++
				continue
			}
			if len(r.out) < limit {
				r.out = append(r.out, m)
			}
		}
		return r, rows.Err()
	})
	return r.out, r.rows, err
}
