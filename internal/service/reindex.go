package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/store"
)

// ReindexProgress reports reindexing: the type being worked on, resources
// done in it and overall, and when it started.
type ReindexProgress struct {
	Type          string
	TypeDone      int
	Done, Skipped int
	Started       time.Time
}

// reindexBatch is how many resources one reindex transaction covers:
// short transactions keep the store writable for everyone else.
const reindexBatch = 200

// Reindex recomputes the search index of every current resource with the
// present definitions, online: each batch is its own transaction, and a
// resource written since it was read is skipped (its writer indexed it).
// report is called after every batch.
func (s *Service) Reindex(ctx context.Context, types []string, report func(ReindexProgress)) (ReindexProgress, error) {
	if len(types) == 0 {
		types = definitions.ResourceTypes()
	}
	p := ReindexProgress{Started: time.Now()}
	for _, typ := range types {
		if err := checkType(typ); err != nil {
			return p, err
		}
		p.Type, p.TypeDone = typ, 0
		after := ""
		for {
			batch, err := s.store.Current(ctx, typ, after, reindexBatch)
			if err != nil {
				return p, err
			}
			if len(batch) == 0 {
				break
			}
			after = batch[len(batch)-1].ID
			done, skipped, err := s.reindexBatch(ctx, batch)
			if err != nil {
				return p, err
			}
			p.TypeDone += done
			p.Done += done
			p.Skipped += skipped
			if report != nil {
				report(p)
			}
		}
	}
	return p, nil
}

func (s *Service) reindexBatch(ctx context.Context, batch []store.Version) (done, skipped int, err error) {
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		done, skipped = 0, 0
		for _, v := range batch {
			cur, err := tx.Read(ctx, v.Type, v.ID)
			if errors.Is(err, store.ErrNotFound) || err == nil && (cur.VersionID != v.VersionID || cur.Deleted) {
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			res, err := fhir.Unmarshal(cur.Body)
			if err != nil {
				return fmt.Errorf("%s/%s version %d: stored body unreadable: %w", v.Type, v.ID, v.VersionID, err)
			}
			if err := tx.ReplaceIndex(ctx, v.Type, v.ID, indexOf(res)); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	return done, skipped, err
}
