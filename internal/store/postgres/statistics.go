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
// distributions. PostgreSQL's autovacuum keeps those statistics; where it
// is turned off, gpcloud runs ANALYZE itself, with autovacuum's rule: a
// table is analysed once more than 1,000 rows plus a tenth of it changed.
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

// analyzeStale analyses the tables of the current schema that changed
// enough since their last analysis. Errors are left for the next round.
func analyzeStale(ctx context.Context, db *sql.DB) {
	rows, err := db.QueryContext(ctx, `SELECT relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND n_mod_since_analyze > 1000 + 0.1 * n_live_tup`)
	if err != nil {
		return
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
		if _, err := db.ExecContext(ctx, `ANALYZE `+pgx.Identifier{t}.Sanitize()); err != nil {
			return
		}
	}
}
