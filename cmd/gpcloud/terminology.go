package main

import (
	"context"
	"log/slog"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// loadStarterTerminology loads the terminology starter set where the
// store has no release of a source yet (a new store, or one created before
// the terminology existed). A failure is logged, not fatal: the record
// works without codes to search, and a later start tries again.
func loadStarterTerminology(ctx context.Context, st store.Store, log *slog.Logger) {
	tm, ok := st.(store.Terminology)
	if !ok {
		return
	}
	rels, err := terminology.LoadStarter(ctx, tm)
	if err != nil {
		log.Warn("cannot load the terminology starter set", "error", err)
		return
	}
	for _, r := range rels {
		log.Info("loaded the terminology starter set", "source", r.Source, "version", r.Version, "systems", len(r.Systems))
	}
}
