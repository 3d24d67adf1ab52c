package postgres

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// The search SQL relies on the planner knowing table sizes and value
// distributions, and on tables vacuumed: VACUUM marks pages all-visible,
// without which the covering search indexes cannot answer from the index
// alone (every row found is checked in the table), and frees the rows
// updates and deletes leave dead. PostgreSQL's autovacuum does both; where
// it is turned off, gpcloud does, with autovacuum's default rules: a table
// is vacuumed (and analysed) once its dead rows pass 50 plus a fifth of it,
// or the rows inserted since its last vacuum 1,000 plus a fifth, and
// analysed once more than 1,000 rows plus a tenth of it changed.
const statisticsInterval = 5 * time.Second

// pgStore is the shared SQL store plus the statistics keeper.
type pgStore struct {
	*sqlstore.Store
	stop func()
}

func (s *pgStore) Close() error {
	s.stop()
	return s.Store.Close()
}

// keepStatistics starts the keeper when the server's autovacuum is off and
// returns the function that stops it.
func keepStatistics(ctx context.Context, db *sql.DB) func() {
	var autovacuum string
	if err := db.QueryRowContext(ctx, `SHOW autovacuum`).Scan(&autovacuum); err != nil || autovacuum == "on" {
		return func() {}
	}
	stopCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(statisticsInterval)
		defer t.Stop()
		for {
			analyzeStale(stopCtx, db)
			select {
			case <-stopCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// analyzeStale vacuums and analyses the tables of the current schema that
// changed enough since (the rules above). Errors are left for the next
// round; VACUUM cannot run in a transaction, so each is a statement of its
// own.
func analyzeStale(ctx context.Context, db *sql.DB) {
	for _, step := range []struct{ command, stale string }{
		{`VACUUM (ANALYZE) `, `n_dead_tup > 50 + 0.2 * n_live_tup OR n_ins_since_vacuum > 1000 + 0.2 * n_live_tup`},
		{`ANALYZE `, `n_mod_since_analyze > 1000 + 0.1 * n_live_tup`},
	} {
		rows, err := db.QueryContext(ctx, `SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() AND (`+step.stale+`)`)
		if err != nil {
			continue // n_ins_since_vacuum is PostgreSQL 13's: before it, analysis only
		}
		var tables []string
		for rows.Next() {
			var t string
			if rows.Scan(&t) == nil {
				tables = append(tables, t)
			}
		}
		rows.Close()
		for _, t := range tables {
			if _, err := db.ExecContext(ctx, step.command+pgx.Identifier{t}.Sanitize()); err != nil {
				return
			}
		}
	}
}
