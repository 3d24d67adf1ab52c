package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Report is the result of a chain verification.
type Report struct {
	// Events is how many chained events were checked.
	Events int64
	// Problems describe each break found, by event id; empty when the
	// chain is intact.
	Problems []string
}

// maxProblems bounds the report of a badly broken chain.
const maxProblems = 100

// Verify walks the chain in order and recomputes every hash: an event
// changed, removed or inserted outside the trail shows up as a break,
// and so does a head that does not match the last event.
func Verify(ctx context.Context, st store.Store, progress func(n int64)) (Report, error) {
	var c checker
	after := "chain-"
	for {
		page, err := st.Current(ctx, "AuditEvent", after, 1000)
		if err != nil {
			return c.r, err
		}
		for _, v := range page {
			if err := c.check(v); err != nil {
				return c.r, err
			}
		}
		if progress != nil {
			progress(c.r.Events)
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	rec, err := st.GetRecord(ctx, headKind, headID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if c.r.Events > 0 {
			c.problem("the chain's head record is missing")
		}
	case err != nil:
		return c.r, err
	default:
		var h head
		if err := json.Unmarshal(rec.Body, &h); err != nil {
			c.problem("the chain's head record is unreadable: %v", err)
		} else if h.Seq != c.seq || h.Hash != c.prev {
			c.problem("the chain's head (event %d) does not match its last event (%d): events at the end were removed", h.Seq, c.seq)
		}
	}
	return c.r, nil
}

// checker recomputes the chain over events given in id order.
type checker struct {
	r    Report
	prev string
	seq  int64
	// hashes keeps each event's hash by sequence, when asked (checking an
	// extract against the head recorded when it was written).
	hashes map[int64]string
}

func (c *checker) problem(format string, args ...any) {
	if len(c.r.Problems) < maxProblems {
		c.r.Problems = append(c.r.Problems, fmt.Sprintf(format, args...))
	}
}

// check takes the next event; events not of the chain are passed over.
func (c *checker) check(v store.Version) error {
	if !strings.HasPrefix(v.ID, "chain-") {
		return nil
	}
	c.seq++
	c.r.Events++
	gotSeq, gotPrev, gotHash, res, err := chainOf(v.Body)
	if err != nil {
		c.problem("%s: %v", v.ID, err)
		c.prev = gotHash
		return nil
	}
	if v.VersionID != 1 {
		c.problem("%s: changed after it was written (version %d)", v.ID, v.VersionID)
	}
	if gotSeq != c.seq || v.ID != eventID(gotSeq) {
		c.problem("%s: sequence %d where %d was expected: events are missing or inserted", v.ID, gotSeq, c.seq)
		c.seq = gotSeq
	}
	if gotPrev != c.prev {
		c.problem("%s: does not follow the event before it (previous hash differs)", v.ID)
	}
	want, err := chainHash(gotPrev, res)
	if err != nil {
		return err
	}
	if want != gotHash {
		c.problem("%s: content does not match its hash: it was changed", v.ID)
	}
	if c.hashes != nil {
		c.hashes[gotSeq] = gotHash
	}
	c.prev = gotHash
	return nil
}

// chainOf reads an event's chain extension and returns the event as it
// was hashed (without meta, with the extension minus its own hash).
func chainOf(body []byte) (seq int64, prev, hash string, res fhir.Resource, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return 0, "", "", nil, fmt.Errorf("unreadable: %v", err)
	}
	res = fhir.Resource(m)
	delete(res, "meta")
	exts, _ := res["extension"].([]any)
	for _, x := range exts {
		ext, _ := x.(map[string]any)
		if ext["url"] != chainURL {
			continue
		}
		parts, _ := ext["extension"].([]any)
		var kept []any
		for _, p := range parts {
			pm, _ := p.(map[string]any)
			val, _ := pm["valueString"].(string)
			switch pm["url"] {
			case "seq":
				seq, _ = strconv.ParseInt(val, 10, 64)
			case "previous":
				prev = val
			case "hash":
				hash = val
				continue
			}
			kept = append(kept, p)
		}
		ext["extension"] = kept
	}
	if seq == 0 || hash == "" {
		return 0, "", "", nil, fmt.Errorf("no chain extension")
	}
	if prev == "genesis" {
		prev = ""
	}
	return seq, prev, hash, res, nil
}
