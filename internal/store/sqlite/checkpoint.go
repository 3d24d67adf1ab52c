package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// Checkpoints are taken off the writer's path (issue 12). In WAL mode a
// commit that leaves the log longer than wal_autocheckpoint pages
// checkpoints it then and there: the committing connection copies the
// log's pages into the database file and syncs both. That connection is
// the one writer every write queues for, so each checkpoint stalled all
// of them. A goroutine with a connection of its own now checkpoints every
// checkpointInterval in PASSIVE mode: it copies what no reader still
// needs, neither waiting for nor blocking the writer or the readers. The
// writer keeps its own automatic checkpoint, at four times the old size
// (writerAutoCheckpoint): under a continuous write load the goroutine
// never quite catches up with the log's end, and only a checkpoint with
// the write lock lets the next write start the log again from its
// beginning. That one now finds most pages copied already.
//
// Measured (bench/README.md, the HTTP load of the Synthea set, SQLite,
// alternated): 4,298 resources/s median with the writer checkpointing
// every 16,384 pages; 4,923 at 65,536 pages; 5,503 with the goroutine as
// well. The cost is disk: the log peaks at ~280 MB under that load
// instead of ~80 MB (it keeps its size until the store closes).
//
// It also bounds what a power cut can take. With synchronous=NORMAL the
// log is synced only before a checkpoint copies it: before, a quiet
// practice's commits could wait for 64 MiB of log to build up, on disk
// meanwhile only as far as the operating system's own write-back took
// them (a process crash loses nothing either way; a power cut could).
// Now a commit is synced within checkpointInterval (hazard H-1306),
// unless a reader holds an older snapshot meanwhile: a checkpoint copies,
// and so syncs, only what no reader still needs.

// checkpointInterval is how often the checkpointer runs. Each run syncs
// the log and copies every page it changed since the last (once, however
// often it changed).
const checkpointInterval = 500 * time.Millisecond

// writerAutoCheckpoint is the writer's own automatic checkpoint, in pages
// (256 MiB of 4 KiB pages; it was 16,384 before the checkpointer).
const writerAutoCheckpoint = "65536"

// A checkpointer checkpoints a store's log in the background.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	// backfilled counts the log frames it has copied into the database.
	backfilled atomic.Int64
}

func startCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.checkpoint()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint. An error is left alone: the
// next run tries again, and meanwhile the writer's own automatic
// checkpoint bounds the log.
func (c *checkpointer) checkpoint() {
	var busy, logFrames, copied int64
	err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied)
	if err == nil && copied > 0 {
		c.backfilled.Add(copied)
	}
}

// close stops the goroutine and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}

// checkpointedStore is the SQLite store with its checkpointer, which it
// stops when closed.
type checkpointedStore struct {
	*sqlstore.Store
	ck        *checkpointer
	closeOnce sync.Once
	closeErr  error
}

// Close stops the checkpointer, then closes the store (SQLite checkpoints
// the log as its last connection closes).
func (s *checkpointedStore) Close() error {
	s.closeOnce.Do(func() {
		err := s.ck.close()
		s.closeErr = s.Store.Close()
		if s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}
