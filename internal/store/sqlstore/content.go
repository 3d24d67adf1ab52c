package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Content lives in three tables (ContentSchema): content_chunk holds the
// bytes of each piece of content in chunks, version_content says which
// content a version holds, and content_staged lists content stored ahead of
// the write that will take it. Content is written and read one chunk at a
// time, each chunk one row, so neither end ever holds more than a chunk.

// contentExec runs one statement of a content write: on the transaction's
// connection inside a write, or committed on its own when staging.
type contentExec func(ctx context.Context, query string, args ...any) error

// writeChunks reads r to its end and stores it as content id, a chunk a
// row, hashing as it goes.
func writeChunks(ctx context.Context, d *Dialect, exec contentExec, id string, r io.Reader) (store.ContentInfo, error) {
	buf := make([]byte, store.ContentChunkSize)
	sum := sha256.New()
	insert := d.rebind(`INSERT INTO content_chunk (content_id, seq, data) VALUES (?, ?, ?)`)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			sum.Write(buf[:n])
			size += int64(n)
			if err := exec(ctx, insert, id, seq, buf[:n]); err != nil {
				return store.ContentInfo{}, err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return store.ContentInfo{Size: size, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
		}
		if err != nil {
			return store.ContentInfo{}, err
		}
	}
}

func newContentID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StageContent stores r as content no version holds yet: a row in
// content_staged (its size -1 until every chunk is in), then each chunk
// committed on its own.
func (s *Store) StageContent(ctx context.Context, r io.Reader) (string, store.ContentInfo, error) {
	s.purgeStagedNow(ctx)
	id := newContentID()
	exec := func(ctx context.Context, query string, args ...any) error {
		_, err := s.write.ExecContext(ctx, query, args...)
		return err
	}
	err := exec(ctx, s.d.rebind(`INSERT INTO content_staged (content_id, created, size, sha256) VALUES (?, ?, -1, '')`), id, time.Now().UnixMicro())
	if err != nil {
		return "", store.ContentInfo{}, s.stagingError(err)
	}
	info, err := writeChunks(ctx, &s.d, exec, id, r)
	if err == nil {
		err = exec(ctx, s.d.rebind(`UPDATE content_staged SET size = ?, sha256 = ? WHERE content_id = ?`), info.Size, info.SHA256, id)
	}
	if err != nil {
		// The caller's context may be what failed: clean up regardless.
		_ = s.dropStaged(context.WithoutCancel(ctx), id, time.Now().Add(time.Hour))
		return "", store.ContentInfo{}, s.stagingError(err)
	}
	return id, info, nil
}

// stagingError reports a broken connection as store.ErrUnavailable:
// nothing staged is kept, so the upload may simply be sent again.
func (s *Store) stagingError(err error) error {
	if s.transient(err) {
		s.dropIdle()
		return unavailable(err)
	}
	return err
}

// purgeStagedNow removes expired staged content, at most once a minute,
// by whichever upload comes next (as stored searches are removed).
func (s *Store) purgeStagedNow(ctx context.Context) {
	now := time.Now()
	if last := s.lastStagedPurge.Load(); now.Unix()-last > 60 && s.lastStagedPurge.CompareAndSwap(last, now.Unix()) {
		_, _ = s.PurgeStagedContent(ctx, now.Add(-store.StagedContentTTL))
	}
}

// PurgeStagedContent removes the staged content created before cutoff that
// no write took, and returns how much it removed.
func (s *Store) PurgeStagedContent(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT content_id FROM content_staged WHERE created < ?`), cutoff.UnixMicro())
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := s.dropStaged(ctx, id, cutoff); errors.Is(err, store.ErrNotFound) {
			continue // taken, or removed by another process, meanwhile
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// dropStaged removes one piece of staged content created before cutoff.
// The staged row goes first and the chunks only if it was still there: a
// write taking the content at the same moment deletes that row too, so
// one of the two finds nothing and leaves the chunks alone.
func (s *Store) dropStaged(ctx context.Context, id string, cutoff time.Time) error {
	return s.InTx(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		res, err := t.sql.ExecContext(ctx, s.d.rebind(`DELETE FROM content_staged WHERE content_id = ? AND created < ?`), id, cutoff.UnixMicro())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return store.ErrNotFound
		}
		_, err = t.sql.ExecContext(ctx, s.d.rebind(`DELETE FROM content_chunk WHERE content_id = ?`), id)
		return err
	})
}

// putContent stores a write's content in the transaction and records which
// version holds it.
func (t *tx) putContent(ctx context.Context, w store.Write) error {
	d := &t.s.d
	var id string
	var info store.ContentInfo
	switch c := w.Content; {
	case c.Staged != "" && c.Data == nil:
		id = c.Staged
		err := t.sql.QueryRowContext(ctx, d.rebind(`DELETE FROM content_staged WHERE content_id = ? AND size >= 0 RETURNING size, sha256`), id).
			Scan(&info.Size, &info.SHA256)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: staged content %s (expired, taken already, or never staged)", store.ErrNotFound, id)
		}
		if err != nil {
			return err
		}
	case c.Data != nil && c.Staged == "":
		id = newContentID()
		exec := func(ctx context.Context, query string, args ...any) error {
			_, err := t.sql.ExecContext(ctx, query, args...)
			return err
		}
		var err error
		if info, err = writeChunks(ctx, d, exec, id, c.Data); err != nil {
			return err
		}
	default:
		return fmt.Errorf("sqlstore: content of %s/%s must have either Data or Staged", w.Type, w.ID)
	}
	_, err := t.sql.ExecContext(ctx, d.rebind(`INSERT INTO version_content (type, id, version_id, content_id, size, sha256) VALUES (?, ?, ?, ?, ?, ?)`),
		w.Type, w.ID, w.VersionID, id, info.Size, info.SHA256)
	return err
}

func (s *Store) OpenContent(ctx context.Context, typ, id string, versionID int64) (io.ReadCloser, store.ContentInfo, error) {
	return openContent(ctx, s.read, &s.d, typ, id, versionID, func(read func() ([]byte, error)) ([]byte, error) {
		return retryRead(ctx, s, read)
	})
}

func (t *tx) OpenContent(ctx context.Context, typ, id string, versionID int64) (io.ReadCloser, store.ContentInfo, error) {
	if err := t.flush(ctx); err != nil {
		return nil, store.ContentInfo{}, err
	}
	return openContent(ctx, t.sql, &t.s.d, typ, id, versionID, func(read func() ([]byte, error)) ([]byte, error) { return read() })
}

// openContent finds a version's content; its chunks are read as the
// reader is, each through retry (which retries a store's reads after a
// broken connection: content never changes, so any connection will do).
func openContent(ctx context.Context, c conn, d *Dialect, typ, id string, versionID int64, retry func(func() ([]byte, error)) ([]byte, error)) (io.ReadCloser, store.ContentInfo, error) {
	var cid string
	var info store.ContentInfo
	_, err := retry(func() ([]byte, error) {
		return nil, c.QueryRowContext(ctx, d.rebind(`SELECT content_id, size, sha256 FROM version_content WHERE type = ? AND id = ? AND version_id = ?`),
			typ, id, versionID).Scan(&cid, &info.Size, &info.SHA256)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ContentInfo{}, store.ErrNotFound
	}
	if err != nil {
		return nil, store.ContentInfo{}, err
	}
	r := &contentReader{info: info, sum: sha256.New()}
	query := d.rebind(`SELECT data FROM content_chunk WHERE content_id = ? AND seq = ?`)
	// Each chunk is copied into one buffer the reader keeps (the
	// driver's bytes are borrowed, not copied again per chunk): reading
	// content makes no garbage in proportion to its size.
	var buf []byte
	r.next = func(seq int) ([]byte, error) {
		return retry(func() ([]byte, error) {
			rows, err := c.QueryContext(ctx, query, cid, seq)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			if !rows.Next() {
				if err := rows.Err(); err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("sqlstore: content of %s/%s version %d lacks chunk %d", typ, id, versionID, seq)
			}
			var data sql.RawBytes
			if err := rows.Scan(&data); err != nil {
				return nil, err
			}
			buf = append(buf[:0], data...)
			return buf, rows.Close()
		})
	}
	return r, info, nil
}

// contentReader reads content a chunk at a time and checks, at the end,
// that what it read is what was written.
type contentReader struct {
	info  store.ContentInfo
	next  func(seq int) ([]byte, error)
	seq   int
	buf   []byte
	read  int64
	sum   hash.Hash
	err   error
	close bool
}

func (r *contentReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.close {
			return 0, errors.New("sqlstore: read of closed content")
		}
		if r.read >= r.info.Size {
			if got := hex.EncodeToString(r.sum.Sum(nil)); got != r.info.SHA256 || r.read != r.info.Size {
				r.err = fmt.Errorf("sqlstore: stored content is damaged: read %d bytes with SHA-256 %s, wrote %d with %s", r.read, got, r.info.Size, r.info.SHA256)
			} else {
				r.err = io.EOF
			}
			continue
		}
		data, err := r.next(r.seq)
		if err != nil {
			r.err = err
			continue
		}
		if len(data) == 0 {
			r.err = fmt.Errorf("sqlstore: content chunk %d is empty", r.seq)
			continue
		}
		r.seq++
		r.buf = data
		r.read += int64(len(data))
		r.sum.Write(data)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *contentReader) Close() error {
	r.close, r.buf = true, nil
	return nil
}
