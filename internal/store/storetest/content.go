package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// payload returns n bytes that differ from run to run and from one
// length to another, so that a chunk written in the wrong place shows.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func withContent(w store.Write, c *store.Content) store.Write {
	w.Content = c
	return w
}

// readContent reads a version's content whole.
func readContent(t *testing.T, r store.Reader, typ, id string, v int64) ([]byte, store.ContentInfo) {
	t.Helper()
	rc, info, err := r.OpenContent(context.Background(), typ, id, v)
	if err != nil {
		t.Fatalf("open content of %s/%s version %d: %v", typ, id, v, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read content of %s/%s version %d: %v", typ, id, v, err)
	}
	return data, info
}

func checkContent(t *testing.T, r store.Reader, typ, id string, v int64, want []byte) {
	t.Helper()
	got, info := readContent(t, r, typ, id, v)
	sum := sha256.Sum256(want)
	if !bytes.Equal(got, want) || info.Size != int64(len(want)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("%s/%s version %d: read %d bytes (info %+v), want %d bytes with SHA-256 %x", typ, id, v, len(got), info, len(want), sum)
	}
}

// testContent: content of every size around the chunk boundaries is read
// back exactly, per version; a version without content has none.
func testContent(t *testing.T, s store.Store) {
	ctx := context.Background()
	sizes := []int{0, 1, store.ContentChunkSize - 1, store.ContentChunkSize, store.ContentChunkSize + 1, 2*store.ContentChunkSize + 12345}
	for i, n := range sizes {
		id := "b" + strings.Repeat("x", i)
		put(t, s, withContent(write("Binary", id, 1, 1), &store.Content{Data: bytes.NewReader(payload(n, 1))}))
		checkContent(t, s, "Binary", id, 1, payload(n, 1))
	}
	// Each version keeps its own content; the first is still there.
	put(t, s, withContent(write("Binary", "b", 2, 2), &store.Content{Data: bytes.NewReader(payload(3000, 2))}))
	put(t, s, write("Binary", "b", 3, 3))
	checkContent(t, s, "Binary", "b", 1, payload(0, 1))
	checkContent(t, s, "Binary", "b", 2, payload(3000, 2))
	for _, v := range []int64{3, 4} {
		if _, _, err := s.OpenContent(ctx, "Binary", "b", v); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("version %d without content: %v, want ErrNotFound", v, err)
		}
	}
	// A deletion has no content.
	err := s.InTx(ctx, func(tx store.Tx) error {
		w := write("Binary", "b", 4, 4)
		w.Deleted, w.Method = true, "DELETE"
		_, err := tx.Put(ctx, withContent(w, &store.Content{Data: strings.NewReader("x")}))
		return err
	})
	if err == nil {
		t.Error("a deletion with content was stored")
	}
}

// testContentInTx: a transaction reads its own content; a rolled back one
// leaves none; a failing reader fails the write.
func testContentInTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := payload(store.ContentChunkSize+7, 3)
	errRollback := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, withContent(write("Binary", "r", 1, 1), &store.Content{Data: bytes.NewReader(data)})); err != nil {
			return err
		}
		checkContent(t, tx, "Binary", "r", 1, data)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if _, _, err := s.OpenContent(ctx, "Binary", "r", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("content of a rolled back write: %v, want ErrNotFound", err)
	}
	broken := errors.New("the client went away")
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, withContent(write("Binary", "r", 1, 1), &store.Content{Data: io.MultiReader(bytes.NewReader(data), errReader{broken})}))
		return err
	})
	if !errors.Is(err, broken) {
		t.Errorf("write from a failing reader: %v, want its error", err)
	}
	if _, err := s.Read(ctx, "Binary", "r"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("version written from a failing reader: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// stagedPurger is what a store offers to remove staged content early
// (tests cannot wait for store.StagedContentTTL).
type stagedPurger interface {
	PurgeStagedContent(ctx context.Context, cutoff time.Time) (int, error)
}

// testStagedContent: content staged ahead of its write is taken by one
// write, once; what no write took is purged; staging from a failing reader
// keeps nothing.
func testStagedContent(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := payload(2*store.ContentChunkSize+1, 4)
	staged, info, err := s.StageContent(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); info.Size != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("staged info %+v", info)
	}
	put(t, s, withContent(write("Binary", "s", 1, 1), &store.Content{Staged: staged}))
	checkContent(t, s, "Binary", "s", 1, data)
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, withContent(write("Binary", "s", 2, 2), &store.Content{Staged: staged}))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("staged content taken twice: %v, want ErrNotFound", err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, withContent(write("Binary", "s", 2, 2), &store.Content{Staged: "nothing-staged-so"}))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown staged content: %v, want ErrNotFound", err)
	}

	// Content no write takes is purged; what a write took stays.
	late, _, err := s.StageContent(ctx, bytes.NewReader(payload(10, 5)))
	if err != nil {
		t.Fatal(err)
	}
	purger, ok := s.(stagedPurger)
	if !ok {
		t.Fatalf("%T cannot purge staged content", s)
	}
	if n, err := purger.PurgeStagedContent(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("purge: %d, %v; want 1 (the one no write took)", n, err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, withContent(write("Binary", "p", 1, 1), &store.Content{Staged: late}))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("purged content taken: %v, want ErrNotFound", err)
	}
	checkContent(t, s, "Binary", "s", 1, data)

	broken := errors.New("the client went away")
	if _, _, err := s.StageContent(ctx, io.MultiReader(bytes.NewReader(data), errReader{broken})); !errors.Is(err, broken) {
		t.Errorf("staging from a failing reader: %v, want its error", err)
	}
	if n, err := purger.PurgeStagedContent(ctx, time.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("a failed staging left %d behind (%v)", n, err)
	}
}
