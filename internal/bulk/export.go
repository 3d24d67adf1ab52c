package bulk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// ExportOptions select what to export and where.
type ExportOptions struct {
	Dir   string   // output directory (created)
	Types []string // empty: every resource type
	// Since keeps resources last updated at or after it (zero: all).
	Since time.Time
	// MaxFileBytes splits a type's output into several files (0: 1 GiB).
	MaxFileBytes int64
	// Request is recorded in the manifest (the command line).
	Request string
	// Progress, if set, is called after every batch.
	Progress func(typ string, resources int)
	// WithHistory also writes every version of every resource, deleted
	// ones included, as <Type>.history.ndjson (see history.go).
	WithHistory bool
	// Filters keep, for a type, only the resources matching any of its
	// searches (_typeFilter, a Group's members' compartments). A type
	// without filters is exported whole.
	Filters map[string][]*search.Query
}

// OutputFile is one NDJSON file of the export.
type OutputFile struct {
	Type   string `json:"type"`
	URL    string `json:"url"` // file name, relative to the manifest
	Count  int    `json:"count"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Manifest follows the Bulk Data export manifest, with counts and hashes
// per file added.
type Manifest struct {
	TransactionTime     string       `json:"transactionTime"`
	Request             string       `json:"request"`
	RequiresAccessToken bool         `json:"requiresAccessToken"`
	Output              []OutputFile `json:"output"`
	// Deleted lists, for an export with a since, the resources deleted
	// since then and not recreated: NDJSON of transaction Bundles of
	// DELETE entries (Bulk Data 2.0), so that a receiver kept current by
	// incremental exports removes them too.
	Deleted []OutputFile `json:"deleted,omitempty"`
	Error   []OutputFile `json:"error"`
	// Summary is gpcloud's addition: what the extract holds.
	Summary Summary `json:"summary"`
}

// Summary describes an extract for the supplier receiving it.
type Summary struct {
	Resources   int            `json:"resources"`
	ByType      map[string]int `json:"byType"`
	CodeSystems map[string]int `json:"codeSystems"` // system URI -> occurrences
	// FirstUpdated and LastUpdated bound meta.lastUpdated of what was exported.
	FirstUpdated string `json:"firstUpdated,omitempty"`
	LastUpdated  string `json:"lastUpdated,omitempty"`
	Since        string `json:"since,omitempty"`
}

const (
	defaultMaxFileBytes = 1 << 30
	exportBatch         = 1000
	// ManifestName and DescriptionName are written beside the NDJSON.
	ManifestName    = "manifest.json"
	DescriptionName = "README.md"
)

// Export writes the current version of every selected resource. The
// resources are read in id order per type in batches, each as one
// consistent read; a resource written meanwhile appears as it was when
// its batch was read.
func Export(ctx context.Context, st store.Store, opts ExportOptions) (*Manifest, error) {
	types := opts.Types
	if len(types) == 0 {
		types = definitions.ResourceTypes()
	}
	for _, t := range types {
		if !definitions.IsResourceType(t) {
			return nil, fmt.Errorf("export: %q is not a resource type", t)
		}
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = defaultMaxFileBytes
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m := &Manifest{
		TransactionTime: time.Now().UTC().Format(time.RFC3339Nano),
		Request:         opts.Request,
		Output:          []OutputFile{},
		Error:           []OutputFile{},
		Summary:         Summary{ByType: map[string]int{}, CodeSystems: map[string]int{}},
	}
	if !opts.Since.IsZero() {
		m.Summary.Since = opts.Since.UTC().Format(time.RFC3339Nano)
	}
	var first, last time.Time
	for _, typ := range types {
		if typ == "AuditEvent" {
			if err := writeAuditHead(ctx, st, opts.Dir); err != nil {
				return nil, fmt.Errorf("export AuditEvent: %w", err)
			}
		}
		w := &typeWriter{dir: opts.Dir, typ: typ, max: opts.MaxFileBytes}
		var keep map[string]bool
		if qs := opts.Filters[typ]; len(qs) > 0 {
			var err error
			if keep, err = matchingIDs(ctx, st, qs); err != nil {
				return nil, fmt.Errorf("export %s: %w", typ, err)
			}
		}
		after := ""
		for {
			batch, err := st.Current(ctx, typ, after, exportBatch)
			if err != nil {
				w.abort()
				return nil, fmt.Errorf("export %s: %w", typ, err)
			}
			if len(batch) == 0 {
				break
			}
			after = batch[len(batch)-1].ID
			for _, v := range batch {
				if !opts.Since.IsZero() && v.LastUpdated.Before(opts.Since) || keep != nil && !keep[v.ID] {
					continue
				}
				if err := w.writeVersion(ctx, st, v); err != nil {
					w.abort()
					return nil, fmt.Errorf("export %s: %w", typ, err)
				}
				countSystems(v.Body, m.Summary.CodeSystems)
				if first.IsZero() || v.LastUpdated.Before(first) {
					first = v.LastUpdated
				}
				if v.LastUpdated.After(last) {
					last = v.LastUpdated
				}
			}
			if opts.Progress != nil {
				opts.Progress(typ, w.total)
			}
		}
		files, err := w.close()
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", typ, err)
		}
		m.Output = append(m.Output, files...)
		if w.total > 0 {
			m.Summary.ByType[typ] = w.total
			m.Summary.Resources += w.total
		}
		if opts.WithHistory {
			hist, _, err := exportHistory(ctx, st, opts.Dir, typ, opts.MaxFileBytes)
			if err != nil {
				return nil, fmt.Errorf("export %s history: %w", typ, err)
			}
			m.Output = append(m.Output, hist...)
		}
		if !opts.Since.IsZero() && opts.Filters[typ] == nil {
			del, err := exportDeleted(ctx, st, opts.Dir, typ, opts.Since, opts.MaxFileBytes)
			if err != nil {
				return nil, fmt.Errorf("export %s deletions: %w", typ, err)
			}
			m.Deleted = append(m.Deleted, del...)
		}
	}
	if !first.IsZero() {
		m.Summary.FirstUpdated = first.UTC().Format(time.RFC3339Nano)
		m.Summary.LastUpdated = last.UTC().Format(time.RFC3339Nano)
	}
	if err := writeManifest(opts.Dir, m); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(opts.Dir, DescriptionName), []byte(describe(m)), 0o640); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return m, nil
}

// typeWriter writes one type's NDJSON files, starting a new file when the
// current one would pass max bytes.
type typeWriter struct {
	dir, typ string
	suffix   string // ".ndjson" unless set
	max      int64
	f        *os.File
	buf      *bufio.Writer
	sum      hash.Hash
	cur      OutputFile
	done     []OutputFile
	total    int
}

func (w *typeWriter) write(body []byte) error {
	line := append(compactLine(body), '\n')
	return w.writeLine(int64(len(line)), func(out io.Writer) error {
		_, err := out.Write(line)
		return err
	})
}

// writeLine writes one line of n bytes (its newline included: the
// manifest counts on n) that fill writes, in a new file if this one would
// pass max bytes.
func (w *typeWriter) writeLine(n int64, fill func(io.Writer) error) error {
	if w.f != nil && w.cur.Bytes > 0 && w.cur.Bytes+n > w.max {
		if err := w.finish(); err != nil {
			return err
		}
	}
	if w.f == nil {
		suffix := w.suffix
		if suffix == "" {
			suffix = ".ndjson"
		}
		name := w.typ + suffix
		if n := len(w.done); n > 0 {
			name = fmt.Sprintf("%s.%d%s", w.typ, n+1, suffix)
		}
		f, err := os.Create(filepath.Join(w.dir, name))
		if err != nil {
			return err
		}
		w.f, w.sum = f, sha256.New()
		w.buf = bufio.NewWriterSize(f, 1<<20)
		w.cur = OutputFile{Type: w.typ, URL: name}
	}
	if err := fill(io.MultiWriter(w.buf, w.sum)); err != nil {
		return err
	}
	w.cur.Bytes += n
	w.cur.Count++
	w.total++
	return nil
}

// writeVersion writes a stored version's resource as one line. A Binary
// whose data lives beside its JSON is written with its data, encoded as
// it is read from the store: never a whole string in memory.
func (w *typeWriter) writeVersion(ctx context.Context, st store.Reader, v store.Version) error {
	b, err := service.SplitBinary(ctx, st, v)
	if err != nil || b == nil {
		if err != nil {
			return err
		}
		return w.write(v.Body)
	}
	defer b.Close()
	return w.writeLine(b.Len()+1, func(out io.Writer) error {
		if _, err := b.WriteTo(out); err != nil {
			return err
		}
		_, err := out.Write([]byte{'\n'})
		return err
	})
}

func (w *typeWriter) finish() error {
	if w.f == nil {
		return nil
	}
	err := w.buf.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.cur.SHA256 = hex.EncodeToString(w.sum.Sum(nil))
	w.done = append(w.done, w.cur)
	w.f = nil
	return err
}

func (w *typeWriter) close() ([]OutputFile, error) {
	err := w.finish()
	return w.done, err
}

func (w *typeWriter) abort() {
	if w.f != nil {
		w.f.Close()
	}
}

// compactLine makes sure a stored body is one line (bodies are stored
// compact; this guards against any that are not).
func compactLine(body []byte) []byte {
	if !bytes.ContainsAny(body, "\r\n") {
		return body
	}
	var out bytes.Buffer
	if err := json.Compact(&out, body); err != nil {
		// Not JSON (never stored so): keep it on one line all the same.
		return bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("\n"), []byte(" ")), []byte("\r"), []byte(" "))
	}
	return out.Bytes()
}

// countSystems counts the "system" values of a body (codings,
// identifiers, quantities) with a byte scan: no JSON decoding on the
// export path.
func countSystems(body []byte, counts map[string]int) {
	const key = `"system":"`
	s := string(body)
	for {
		i := strings.Index(s, key)
		if i < 0 {
			return
		}
		s = s[i+len(key):]
		j := strings.IndexByte(s, '"')
		if j < 0 {
			return
		}
		counts[s[:j]]++
		s = s[j:]
	}
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o640)
}

// describe renders the extract's description for people.
func describe(m *Manifest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# gpcloud data extract\n\nExported at %s. FHIR R4 (4.0.1) resources as NDJSON: one resource per line, ", m.TransactionTime)
	b.WriteString("each file holding one resource type, as the HL7 Bulk Data specification defines. ")
	b.WriteString("Each resource is its current version as stored, with its id, meta.versionId and meta.lastUpdated; ")
	b.WriteString("references between resources are relative (Type/id) and resolve within the extract. ")
	fmt.Fprintf(&b, "%s lists every file with its resource count, size and SHA-256.\n\n", ManifestName)
	fmt.Fprintf(&b, "- Resources: %d\n", m.Summary.Resources)
	if m.Summary.FirstUpdated != "" {
		fmt.Fprintf(&b, "- Last updated between %s and %s\n", m.Summary.FirstUpdated, m.Summary.LastUpdated)
	}
	if m.Summary.Since != "" {
		fmt.Fprintf(&b, "- Only resources updated since %s\n", m.Summary.Since)
	}
	b.WriteString("\n## Resource types\n\n| type | resources | files |\n|---|---|---|\n")
	files := map[string][]string{}
	for _, f := range m.Output {
		files[f.Type] = append(files[f.Type], f.URL)
	}
	types := make([]string, 0, len(m.Summary.ByType))
	for t := range m.Summary.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", t, m.Summary.ByType[t], strings.Join(files[t], ", "))
	}
	if n := m.Summary.ByType["AuditEvent"]; n > 0 {
		fmt.Fprintf(&b, "\n## The audit trail\n\nThe %d AuditEvents are this system's audit trail: who accessed which records, when. ", n)
		b.WriteString("They are hash-chained (each carries its sequence number and the SHA-256 of the one before); ")
		fmt.Fprintf(&b, "%s records the chain's last event when the export began. Keep them with the extract: ", audit.HeadFile)
		b.WriteString("`gpcloud import` does not import them (a system's trail records accesses to that system, and only its own ")
		b.WriteString("trail writes to it), and `gpcloud admin audit verify --extract DIR` checks them here.\n")
	}
	b.WriteString("\n## Code and identifier systems used\n\n| system | occurrences |\n|---|---|\n")
	systems := make([]string, 0, len(m.Summary.CodeSystems))
	for s := range m.Summary.CodeSystems {
		systems = append(systems, s)
	}
	sort.Slice(systems, func(i, j int) bool {
		a, c := m.Summary.CodeSystems[systems[i]], m.Summary.CodeSystems[systems[j]]
		return a > c || a == c && systems[i] < systems[j]
	})
	for _, s := range systems {
		fmt.Fprintf(&b, "| %s | %d |\n", s, m.Summary.CodeSystems[s])
	}
	return b.String()
}

// filterPage is how many matches of a _typeFilter search matchingIDs
// reads at a time (a variable for tests).
var filterPage = 1000

// matchingIDs runs searches to the end and returns the ids they match.
// It reads them in the default order and by key (store.PageRequest.ByKey):
// their order does not matter to a set, and a stored result list would
// end at the store's cut (100,000) as if nothing followed, leaving the
// rest out of the export without a word.
func matchingIDs(ctx context.Context, st store.Store, qs []*search.Query) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, q := range qs {
		q.Count = filterPage
		q.Sort = nil
		page := store.PageRequest{ByKey: true}
		for {
			res, err := st.Search(ctx, q, page)
			if err != nil {
				return nil, err
			}
			for _, v := range res.Matches {
				ids[v.ID] = true
			}
			if !res.HasMore || res.SearchID == "" {
				break
			}
			page = store.PageRequest{SearchID: res.SearchID, Offset: page.Offset + len(res.Matches), ByKey: true}
		}
	}
	return ids, nil
}

// writeAuditHead records the audit chain's head as the export of its
// events begins, so that the extract's trail can be verified on its own
// (gpcloud admin audit verify --extract DIR): it must reach this event.
func writeAuditHead(ctx context.Context, st store.Store, dir string) error {
	h, err := audit.Head(ctx, st)
	if err != nil || h.Seq == 0 {
		return err
	}
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, audit.HeadFile), append(data, '\n'), 0o640)
}

// deletedSuffix names the files of deletions.
const deletedSuffix = ".deleted.ndjson"

// deletedPerBundle bounds the DELETE entries of one line of a deleted file.
const deletedPerBundle = 500

// exportDeleted writes <Type>.deleted.ndjson: the resources of typ whose
// deletion since since is still their current version, as transaction
// Bundles of DELETE entries (the Bulk Data 2.0 "deleted" files).
func exportDeleted(ctx context.Context, st store.Store, dir, typ string, since time.Time, maxBytes int64) ([]OutputFile, error) {
	w := &typeWriter{dir: dir, typ: typ, max: maxBytes, suffix: deletedSuffix}
	var entries []any
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		line, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
		if err != nil {
			return err
		}
		entries = nil
		return w.write(line)
	}
	seen := map[string]bool{}
	q := store.HistoryQuery{Type: typ, Since: since, Count: exportBatch}
	for {
		page, err := st.History(ctx, q)
		if err != nil {
			w.abort()
			return nil, err
		}
		for _, v := range page {
			if !v.Deleted || seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			cur, err := st.Read(ctx, typ, v.ID)
			if err != nil || !cur.Deleted {
				continue // recreated since: exported as a resource
			}
			entries = append(entries, map[string]any{"request": map[string]any{"method": http.MethodDelete, "url": typ + "/" + v.ID}})
			if len(entries) == deletedPerBundle {
				if err := flush(); err != nil {
					w.abort()
					return nil, err
				}
			}
		}
		if len(page) < q.Count {
			break
		}
		q.Before = page[len(page)-1].Seq
	}
	if err := flush(); err != nil {
		w.abort()
		return nil, err
	}
	files, err := w.close()
	for i := range files {
		files[i].Type = "Bundle"
	}
	return files, err
}
