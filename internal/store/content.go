package store

import (
	"io"
	"time"
)

// Content is data kept beside a version rather than in its JSON body: a
// Binary's bytes, which may be many times larger than a body is meant to
// be (a scanned letter, an image). The store keeps it in chunks of
// ContentChunkSize, writing and reading one chunk at a time, so that its
// size never has to fit in memory. A version's content never changes; a
// new version brings its own. Exactly one of the fields is set.
type Content struct {
	// Data is read to its end and stored in the write's transaction.
	Data io.Reader
	// Staged names content StageContent stored before the transaction;
	// the write takes it over (it cannot be taken twice). ErrNotFound if
	// it is not staged (any more).
	Staged string
}

// ContentInfo describes stored content.
type ContentInfo struct {
	Size   int64
	SHA256 string // lower-case hex
}

// ContentChunkSize is the size of the chunks content is stored in (the
// last one may be shorter).
const ContentChunkSize = 1 << 20

// StagedContentTTL is how long staged content waits for a write to take
// it: an upload whose write failed, or a crash between the two, leaves
// nothing behind for longer.
const StagedContentTTL = time.Hour
