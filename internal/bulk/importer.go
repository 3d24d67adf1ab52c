package bulk

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
)

// ImportOptions tune an import.
type ImportOptions struct {
	// Strict stops at the first bad line or resource, keeping nothing from
	// its file (each file is checked whole before any of it is written).
	Strict bool
	// BatchSize is the number of NDJSON resources per transaction.
	BatchSize int
	// Workers is how many files are imported at once (default: the number
	// of cores; 1 with Strict, so that a failure stops everything at once).
	Workers int
	// Progress is called after every transaction.
	Progress func(ImportProgress)
}

// ImportProgress counts an import so far.
type ImportProgress struct {
	Files, FilesDone int
	Resources        int            // written
	ByType           map[string]int // written, per type
	Failed           int
	Deferred         int // waiting for a conditional reference's target
	// SkippedAuditEvents counts AuditEvents not imported: a system's audit
	// trail records accesses to that system; the target keeps its own
	// (the source's stays verifiable in its extract).
	SkippedAuditEvents int
	// Deleted counts the deletions applied (an incremental export's
	// deleted files).
	Deleted int
	// AlreadyPresent counts resources of Resources that the target held
	// already (an earlier run, or another Bundle carrying the same
	// urn:uuid resource): nothing was written for them.
	AlreadyPresent int
	Started        time.Time
	File           string
}

// Problem is one resource or line that could not be imported.
type Problem struct {
	File   string
	Line   int // 0 for a Bundle file
	Reason string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Reason)
}

// ImportResult is the outcome of an import.
type ImportResult struct {
	ImportProgress
	Problems []Problem
	Skipped  []Skipped // files passed over (files.go)
	Elapsed  time.Duration
}

// pending is a resource kept for a retry (its conditional reference's
// target had not arrived yet).
type pending struct {
	res  fhir.Resource
	file string
	line int
}

// Importer loads files into a Sink.
type Importer struct {
	mu       sync.Mutex // guards everything below sink and opts
	sink     Sink
	opts     ImportOptions
	progress ImportProgress
	problems []Problem
	skipped  []Skipped
	deferred []pending
	// deferredBundles wait, whole, for a conditional reference's target.
	deferredBundles []deferredBundle
}

type deferredBundle struct {
	path   string
	bundle fhir.Resource
	counts []fhir.Resource
}

// Import loads every file under paths (files or directories): FHIR
// Bundles (transaction, batch, collection, searchset) and NDJSON, either
// optionally gzipped. Running an import again leaves the store as one run
// would: NDJSON resources are written with PUT under their own ids, and
// so are Bundle entries whose fullUrl is a urn:uuid (the UUID becomes the
// id), and an update that changes nothing writes no version. Conditional
// creates and references are resolved by the transaction as usual. A
// resource whose conditional reference matches nothing yet is retried
// after the other files, so file order does not matter. AuditEvents are
// not imported (see ImportProgress.SkippedAuditEvents).
func Import(ctx context.Context, sink Sink, paths []string, opts ImportOptions) (*ImportResult, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	files, skipped, err := listFiles(paths)
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opts.Strict {
		workers = 1
	}
	im := &Importer{sink: sink, opts: opts, skipped: skipped, progress: ImportProgress{Files: len(files), ByType: map[string]int{}, Started: time.Now()}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := &stopSink{Sink: sink, cancel: cancel}
	im.sink = stop
	// Files of the types conditional references usually name go first,
	// so that the others find their targets rather than wait for them.
	var firstErr error
	for _, phase := range targetsFirst(files) {
		if firstErr = im.run(ctx, cancel, phase, workers); firstErr != nil {
			break
		}
	}
	if err := stop.stopped(); err != nil {
		return im.result(), err // the other workers' errors are its cancellation
	}
	if firstErr != nil {
		return im.result(), firstErr
	}
	im.retryDeferred(ctx)
	return im.result(), stop.stopped()
}

// run imports files, workers at a time; the first error cancels the rest.
func (im *Importer) run(ctx context.Context, cancel func(), files []string, workers int) error {
	queue := make(chan string)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range min(workers, max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range queue {
				if err := im.file(ctx, f); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				im.mu.Lock()
				im.progress.FilesDone++
				im.progress.File = f
				im.mu.Unlock()
				im.report()
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case queue <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	return firstErr
}

// referenceTargets are the types whose NDJSON files are imported before
// the others: what conditional references (Organization?identifier=...)
// and references in general mostly name.
var referenceTargets = map[string]bool{
	"Organization": true, "Location": true, "Practitioner": true, "PractitionerRole": true,
	"HealthcareService": true, "Endpoint": true, "Medication": true, "Device": true,
	"Patient": true, "RelatedPerson": true, "Group": true,
}

// targetsFirst splits files into the NDJSON records of referenceTargets
// (by a Bulk Data file name, Type.000.ndjson) and the rest (histories
// and deletions among them), each in the given order.
func targetsFirst(files []string) [][]string {
	var first, rest []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".gz")
		typ, _, _ := strings.Cut(name, ".")
		if referenceTargets[typ] && strings.HasSuffix(name, ".ndjson") && !strings.HasSuffix(name, historySuffix) && !strings.HasSuffix(name, deletedSuffix) {
			first = append(first, f)
		} else {
			rest = append(rest, f)
		}
	}
	return [][]string{first, rest}
}

func (im *Importer) result() *ImportResult {
	im.mu.Lock()
	defer im.mu.Unlock()
	return &ImportResult{ImportProgress: im.progress, Problems: im.problems, Skipped: im.skipped, Elapsed: time.Since(im.progress.Started)}
}

func (im *Importer) report() {
	if im.opts.Progress == nil {
		return
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	im.progress.Deferred = len(im.deferred) + len(im.deferredBundles)
	im.opts.Progress(im.progress)
}

func (im *Importer) fail(file string, line int, reason string) {
	im.mu.Lock()
	defer im.mu.Unlock()
	im.problems = append(im.problems, Problem{File: file, Line: line, Reason: reason})
	im.progress.Failed++
}

func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

func (im *Importer) file(ctx context.Context, path string) error {
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), ".ndjson") {
		if im.opts.Strict {
			if p, ok := im.checkNDJSON(path); !ok {
				im.fail(p.File, p.Line, p.Reason)
				return fmt.Errorf("%s (strict: nothing from this file was imported)", p)
			}
		}
		return im.ndjson(ctx, path)
	}
	return im.bundle(ctx, path)
}

// lines calls fn for each non-empty line of an NDJSON file.
func lines(path string, fn func(line int, data []byte) bool) error {
	rc, err := open(path)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<20)
	for n := 1; ; n++ {
		data, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(data))) > 0 {
			if !fn(n, data) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
}

// checkNDJSON reads a file whole before anything is written (strict).
func (im *Importer) checkNDJSON(path string) (Problem, bool) {
	var bad *Problem
	err := lines(path, func(n int, data []byte) bool {
		if _, err := parseLine(data); err != nil {
			bad = &Problem{File: path, Line: n, Reason: err.Error()}
			return false
		}
		return true
	})
	if err != nil {
		return Problem{File: path, Reason: err.Error()}, false
	}
	if bad != nil {
		return *bad, false
	}
	return Problem{}, true
}

func parseLine(data []byte) (fhir.Resource, error) {
	res, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if res.Type() == "" {
		return nil, fmt.Errorf("no resourceType")
	}
	return res, nil
}

// decodeObject reads one file's Bundle or one NDJSON line: a JSON object,
// decoded by fhirjson (half the CPU of encoding/json), which also refuses
// what FHIR's JSON forbids, such as a member named twice. A file's strings
// are bounded by the file alone: an exported Binary's data may be larger
// than a request's limit.
func decodeObject(data []byte) (fhir.Resource, error) {
	v, err := fhirjson.Decode(data, fhirjson.Limits{MaxStringBytes: max(len(data), fhirjson.DefaultLimits.MaxStringBytes)})
	if err != nil {
		return nil, errors.New(oneLine(err)) // its diagnostics, without the HTTP status
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a JSON value that is not an object")
	}
	return fhir.Resource(obj), nil
}

func (im *Importer) ndjson(ctx context.Context, path string) error {
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), historySuffix) {
		return im.historyFile(ctx, path)
	}
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), deletedSuffix) {
		return im.deletedFile(ctx, path)
	}
	var batch []pending
	var failed error
	err := lines(path, func(n int, data []byte) bool {
		res, err := parseLine(data)
		if err != nil {
			im.fail(path, n, err.Error())
			return true
		}
		if res.Type() == "AuditEvent" {
			im.skipAuditEvent()
			return true
		}
		batch = append(batch, pending{res: res, file: path, line: n})
		if len(batch) >= im.opts.BatchSize {
			if failed = im.writeBatch(ctx, batch); failed != nil {
				return false
			}
			batch = batch[:0]
		}
		return true
	})
	if err != nil {
		return err
	}
	if failed != nil {
		return failed
	}
	return im.writeBatch(ctx, batch)
}

// entryFor makes the transaction entry of a resource: PUT under its id
// (idempotent), or POST when it has none.
func entryFor(res fhir.Resource) map[string]any {
	if id := res.ID(); id != "" {
		return map[string]any{"resource": map[string]any(res), "request": map[string]any{"method": "PUT", "url": res.Type() + "/" + id}}
	}
	return map[string]any{"resource": map[string]any(res), "request": map[string]any{"method": "POST", "url": res.Type()}}
}

// withoutAuditEvents drops the AuditEvent entries of a Bundle, counted.
func (im *Importer) withoutAuditEvents(entries []any) []any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		em, _ := e.(map[string]any)
		res, _ := em["resource"].(map[string]any)
		if fhir.Resource(res).Type() == "AuditEvent" {
			im.skipAuditEvent()
			continue
		}
		out = append(out, e)
	}
	return out
}

func (im *Importer) skipAuditEvent() {
	im.mu.Lock()
	im.progress.SkippedAuditEvents++
	im.mu.Unlock()
}

func transaction(entries []any) fhir.Resource {
	return fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}
}

// writeBatch writes resources in one transaction, those the target does
// not hold yet create-only (createsFirst); if it fails, each is written
// alone, so that one bad resource, or one whose reference is unresolved
// (deferred again), does not hold back the others.
func (im *Importer) writeBatch(ctx context.Context, batch []pending) error {
	if len(batch) == 0 {
		return nil
	}
	entries := make([]any, len(batch))
	for i, p := range batch {
		entries[i] = entryFor(cloneResource(p.res))
	}
	err := im.createsFirst(ctx, entries)
	if err == nil {
		err = im.sink.Transaction(ctx, transaction(entries))
	}
	if err == nil {
		for _, p := range batch {
			im.count(p.res)
		}
		im.report()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, p := range batch {
		if err := im.writeOne(ctx, p, true); err != nil {
			return err
		}
	}
	im.report()
	return nil
}

// writeOne writes one resource; an unresolved conditional reference
// defers it (when allowed), other errors are reported.
func (im *Importer) writeOne(ctx context.Context, p pending, mayDefer bool) error {
	err := im.sink.Transaction(ctx, transaction([]any{entryFor(cloneResource(p.res))}))
	switch {
	case err == nil:
		im.count(p.res)
	case ctx.Err() != nil:
		return ctx.Err()
	case mayDefer && unresolvedReference(err):
		im.mu.Lock()
		im.deferred = append(im.deferred, p)
		im.mu.Unlock()
	default:
		im.fail(p.file, p.line, lineReason(p.res, err))
		if im.opts.Strict {
			return fmt.Errorf("%s:%d: %s", p.file, p.line, lineReason(p.res, err))
		}
	}
	return nil
}

// retryDeferred retries deferred resources and Bundles until a round
// resolves none; what is left is reported.
func (im *Importer) retryDeferred(ctx context.Context) {
	for len(im.deferredBundles) > 0 {
		round := im.deferredBundles
		im.deferredBundles = nil
		for _, d := range round {
			err := im.sendOnce(ctx, d.bundle)
			switch {
			case err == nil:
				for _, res := range d.counts {
					im.count(res)
				}
			case ctx.Err() != nil:
				return // stopped or interrupted: Import says why
			case unresolvedReference(err):
				im.deferredBundles = append(im.deferredBundles, d)
			default:
				im.fail(d.path, 0, oneLine(err))
			}
		}
		if len(im.deferredBundles) == len(round) {
			for _, d := range im.deferredBundles {
				im.fail(d.path, 0, "a conditional reference still matches no resource after every file was imported")
			}
			im.deferredBundles = nil
		}
		im.report()
	}
	for len(im.deferred) > 0 {
		round := im.deferred
		im.deferred = nil
		// In batches, as the files were: a batch that fails is written a
		// resource at a time, and what still waits is kept for the next
		// round.
		for lo := 0; lo < len(round); lo += im.opts.BatchSize {
			if err := im.writeBatch(ctx, round[lo:min(len(round), lo+im.opts.BatchSize)]); err != nil {
				return
			}
		}
		if len(im.deferred) == len(round) {
			for _, p := range im.deferred {
				im.fail(p.file, p.line, resourceRef(p.res)+": a conditional reference still matches no resource after every file was imported")
			}
			im.deferred = nil
		}
		im.report()
	}
}

// createsFirst marks the PUTs of resources the target does not hold yet
// create-only (If-None-Match: *): a create needs no read of the current
// version and is prepared with the others on every core, where an update
// is read and written one at a time. Should another worker create one
// meanwhile, the transaction fails and writeBatch writes each alone.
func (im *Importer) createsFirst(ctx context.Context, entries []any) error {
	byType := map[string][]string{}
	for _, e := range entries {
		req := e.(map[string]any)["request"].(map[string]any)
		if req["method"] == http.MethodPut {
			typ, id, _ := strings.Cut(req["url"].(string), "/")
			byType[typ] = append(byType[typ], id)
		}
	}
	exists := map[string]bool{}
	for typ, ids := range byType {
		found, err := im.sink.Existing(ctx, typ, ids)
		if err != nil {
			return err
		}
		for id := range found {
			exists[typ+"/"+id] = true
		}
	}
	for _, e := range entries {
		req := e.(map[string]any)["request"].(map[string]any)
		if req["method"] == http.MethodPut && !exists[req["url"].(string)] {
			req["ifNoneMatch"] = "*"
		}
	}
	return nil
}

func (im *Importer) count(res fhir.Resource) {
	im.mu.Lock()
	defer im.mu.Unlock()
	im.progress.Resources++
	im.progress.ByType[res.Type()]++
}

// bundle imports a Bundle file: transactions and batches as they are,
// collections and search sets as a transaction of their resources.
func (im *Importer) bundle(ctx context.Context, path string) error {
	rc, err := open(path)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b, err := decodeObject(data)
	if err == nil && b.Type() == "" && b["transactionTime"] != nil && b["output"] != nil {
		return nil // a Bulk Data manifest (an export directory): its NDJSON files are read on their own
	}
	if err != nil || b.Type() != "Bundle" {
		reason := "not a FHIR Bundle"
		if err != nil {
			reason = err.Error()
		}
		im.fail(path, 0, reason)
		if im.opts.Strict {
			return fmt.Errorf("%s: %s", path, reason)
		}
		return nil
	}
	entries, _ := b["entry"].([]any)
	switch b["type"] {
	case "transaction", "batch":
		b = cloneResource(b)
		b["entry"] = im.withoutAuditEvents(entries)
	default:
		// collection, searchset, document...: store their resources.
		tx := make([]any, 0, len(entries))
		for _, e := range entries {
			em, _ := e.(map[string]any)
			res, _ := em["resource"].(map[string]any)
			if res == nil {
				continue
			}
			entry := entryFor(fhir.Resource(res))
			if full, ok := em["fullUrl"].(string); ok {
				entry["fullUrl"] = full
			}
			tx = append(tx, entry)
		}
		b = transaction(im.withoutAuditEvents(tx))
	}
	var counted []fhir.Resource
	for _, e := range b["entry"].([]any) {
		if res, ok := e.(map[string]any)["resource"].(map[string]any); ok {
			counted = append(counted, res)
		}
	}
	if err := im.sendOnce(ctx, b); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if unresolvedReference(err) && b["type"] != "batch" {
			im.mu.Lock()
			im.deferredBundles = append(im.deferredBundles, deferredBundle{path: path, bundle: b, counts: counted})
			im.mu.Unlock()
			return nil
		}
		im.fail(path, 0, oneLine(err))
		if im.opts.Strict {
			return fmt.Errorf("%s: %s", path, oneLine(err))
		}
		return nil
	}
	for _, res := range counted {
		im.count(res)
	}
	im.report()
	return nil
}

// cloneBundle copies what a failed transaction may have changed in place
// (each entry's resource, top level), so that a retry starts clean.
func cloneBundle(b fhir.Resource) fhir.Resource {
	out := cloneResource(b)
	entries, _ := b["entry"].([]any)
	copied := make([]any, len(entries))
	for i, e := range entries {
		em, ok := e.(map[string]any)
		if !ok {
			copied[i] = e
			continue
		}
		ec := make(map[string]any, len(em))
		for k, v := range em {
			ec[k] = v
		}
		if res, ok := em["resource"].(map[string]any); ok {
			ec["resource"] = map[string]any(cloneResource(res))
		}
		copied[i] = ec
	}
	if entries != nil {
		out["entry"] = copied
	}
	return out
}

// cloneResource copies the top level: the service sets id and meta in
// place, and a retry must start from the original.
func cloneResource(r fhir.Resource) fhir.Resource {
	out := make(fhir.Resource, len(r))
	for k, v := range r {
		out[k] = v
	}
	if m, ok := r["meta"].(map[string]any); ok {
		mc := make(map[string]any, len(m))
		for k, v := range m {
			mc[k] = v
		}
		out["meta"] = mc
	}
	return out
}

func oneLine(err error) string {
	var fe *fhir.Error
	if errors.As(err, &fe) && len(fe.Issues) > 0 {
		var parts []string
		for _, is := range fe.Issues {
			parts = append(parts, is.Diagnostics)
		}
		return strings.Join(parts, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// historyFile replays a history export, one resource's versions a line.
func (im *Importer) historyFile(ctx context.Context, path string) error {
	var failed error
	err := lines(path, func(n int, data []byte) bool {
		b, err := parseLine(data)
		if err != nil || b.Type() != "Bundle" || b["type"] != "history" {
			im.fail(path, n, "not a history Bundle")
			return true
		}
		entries, _ := b["entry"].([]any)
		if err := im.replayHistory(ctx, b); err != nil {
			if ctx.Err() != nil {
				failed = ctx.Err()
				return false
			}
			im.fail(path, n, historyReason(b, err))
			if im.opts.Strict {
				failed = fmt.Errorf("%s:%d: %s", path, n, historyReason(b, err))
				return false
			}
			return true
		}
		// Count the resource once, as its type.
		for _, e := range entries {
			if res, ok := e.(map[string]any)["resource"].(map[string]any); ok {
				im.count(res)
				break
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return failed
}

// deletedFile applies an incremental export's deletions: each line a
// transaction Bundle of DELETE entries (deleting what is already gone, or
// was never there, is no error).
func (im *Importer) deletedFile(ctx context.Context, path string) error {
	var failed error
	err := lines(path, func(n int, data []byte) bool {
		b, err := parseLine(data)
		if err != nil || b.Type() != "Bundle" || b["type"] != "transaction" {
			im.fail(path, n, "not a transaction Bundle of deletions")
			return true
		}
		entries, _ := b["entry"].([]any)
		for _, e := range entries {
			req, _ := e.(map[string]any)["request"].(map[string]any)
			if req["method"] != http.MethodDelete {
				im.fail(path, n, "a deletions file holds only DELETE entries")
				return true
			}
		}
		if err := im.sink.Transaction(ctx, b); err != nil {
			if ctx.Err() != nil {
				failed = ctx.Err()
				return false
			}
			im.fail(path, n, oneLine(err))
			return true
		}
		im.mu.Lock()
		im.progress.Deleted += len(entries)
		im.mu.Unlock()
		return true
	})
	if err != nil {
		return err
	}
	return failed
}
