package service

import (
	"context"
	"net/http"
	"runtime"
	"sync"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/store"
)

// prepareCreates validates, serialises and indexes a transaction's
// creates on every core at once, before they are written one by one: the
// writes are serial (on SQLite the whole transaction holds the database's
// single write lock), the preparation need not be. Each create has its own
// resource, id and version 1, all known once references are resolved. A
// create-only update (If-None-Match: *, as a re-runnable import sends) is
// a create too: if the resource exists after all, writing version 1
// conflicts and the transaction fails (409), as it should.
func (s *Service) prepareCreates(entries []*bundleEntry) {
	var todo []*bundleEntry
	for _, e := range entries {
		create := e.method == http.MethodPost && e.existing == "" || e.method == http.MethodPut && e.ifMatch.Absent
		if create && e.resource != nil && e.target != "" {
			todo = append(todo, e)
		}
	}
	if len(todo) < 2 {
		return
	}
	now := s.now()
	work := make(chan *bundleEntry)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				w, err := prepareWrite(e.resource, e.typ, e.target, 1, e.method, now, s.codes)
				if err != nil {
					e.prepareErr = err
					continue
				}
				e.prepared = &w
			}
		}()
	}
	for _, e := range todo {
		work <- e
	}
	close(work)
	wg.Wait()
}

// putPrepared writes a create prepared by prepareCreates.
func (s *Service) putPrepared(ctx context.Context, tx store.Tx, e *bundleEntry) (Outcome, error) {
	if e.prepareErr != nil {
		return Outcome{}, e.prepareErr
	}
	if err := s.guardWrite(ctx, tx, e.typ, "", auth.Create, e.resource); err != nil {
		return Outcome{}, err
	}
	v, err := tx.Put(ctx, *e.prepared)
	if err != nil {
		return Outcome{}, err
	}
	s.seen(ctx, v)
	s.wrote(v)
	return Outcome{Status: http.StatusCreated, Version: v, Issues: info("created %s/%s", e.typ, e.target)}, nil
}

// needsStore reports whether resolving a transaction's targets and
// references must read the store: a conditional create, a conditional
// URL or a conditional reference anywhere in a resource.
func needsStore(entries []*bundleEntry) bool {
	for _, e := range entries {
		if e.ifNoneExist != "" || e.query != nil {
			return true
		}
	}
	for _, e := range entries {
		if e.resource == nil {
			continue
		}
		if hasConditionalReference(e.resource) {
			return true
		}
	}
	return false
}
