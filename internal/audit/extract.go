package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// A practice moving supplier takes its audit trail with it in the
// extract (AuditEvent.ndjson), but it is not imported: the new system's
// trail records accesses to the new system, and nothing may write to it
// but the trail itself. The extract's trail stays verifiable on its own:
// the export records the chain's head as it began (HeadFile), and
// VerifyExtract recomputes the chain from the files.

// HeadFile is the file in an extract holding the chain's head.
const HeadFile = "audit-chain.json"

// ExtractHead is what an export records of the chain: its last event
// when the export began.
type ExtractHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Head reads the chain's head (zero when there is no chain).
func Head(ctx context.Context, st store.Store) (ExtractHead, error) {
	rec, err := st.GetRecord(ctx, headKind, headID)
	if errors.Is(err, store.ErrNotFound) {
		return ExtractHead{}, nil
	}
	if err != nil {
		return ExtractHead{}, err
	}
	var h head
	if err := json.Unmarshal(rec.Body, &h); err != nil {
		return ExtractHead{}, fmt.Errorf("audit chain head: %w", err)
	}
	return ExtractHead{Seq: h.Seq, Hash: h.Hash}, nil
}

// VerifyExtract checks the audit trail of an export directory: the
// AuditEvent NDJSON files' chain, and that it reaches the head recorded
// when the export began (events after it, written while the export ran,
// are checked too).
func VerifyExtract(dir string) (Report, error) {
	var versions []store.Version
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasPrefix(name, "AuditEvent.") || !strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".history.ndjson") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Bytes()
			if len(strings.TrimSpace(string(line))) == 0 {
				continue
			}
			var ev struct {
				ID   string `json:"id"`
				Meta struct {
					VersionID string `json:"versionId"`
				} `json:"meta"`
			}
			if err := json.Unmarshal(line, &ev); err != nil {
				return fmt.Errorf("%s:%d: %v", path, n, err)
			}
			vid, _ := strconv.ParseInt(ev.Meta.VersionID, 10, 64)
			versions = append(versions, store.Version{Type: "AuditEvent", ID: ev.ID, VersionID: vid, Body: append([]byte(nil), line...)})
		}
		return sc.Err()
	})
	if err != nil {
		return Report{}, err
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].ID < versions[j].ID })
	c := checker{hashes: map[int64]string{}}
	for _, v := range versions {
		if err := c.check(v); err != nil {
			return c.r, err
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, HeadFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if c.r.Events > 0 {
			c.problem("%s is missing: the end of the chain cannot be checked", HeadFile)
		}
	case err != nil:
		return c.r, err
	default:
		var h ExtractHead
		if err := json.Unmarshal(data, &h); err != nil {
			c.problem("%s is unreadable: %v", HeadFile, err)
		} else if h.Seq > 0 && c.hashes[h.Seq] != h.Hash {
			c.problem("the chain's head when the export began (event %d) is not in the extract, or differs: events were removed", h.Seq)
		}
	}
	return c.r, nil
}
