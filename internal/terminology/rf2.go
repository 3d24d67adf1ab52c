package terminology

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// RF2: SNOMED CT's release format 2. A release is a zip (or the folder it
// unpacks to) of tab-separated files with a header line; LoadRF2 reads the
// Snapshot ones (the state of every component at the release date):
//
//	sct2_Concept_*Snapshot*         id effectiveTime active moduleId definitionStatusId
//	sct2_Description_*Snapshot*     id effectiveTime active moduleId conceptId languageCode typeId term caseSignificanceId
//	sct2_Relationship_*Snapshot*    id effectiveTime active moduleId sourceId destinationId relationshipGroup typeId characteristicTypeId modifierId
//	der2_cRefset_*Language*Snapshot*    ... refsetId referencedComponentId acceptabilityId
//	der2_cRefset_*Association*Snapshot* ... refsetId referencedComponentId targetComponentId
//	der2_Refset_*Simple*Snapshot*       ... refsetId referencedComponentId
//
// The UK Edition splits each kind across the International and UK files
// (sct2_Concept_UKCLSnapshot_GB1000000_..., sct2_Concept_Snapshot_INT_...;
// the UK Drug Extension's UKDG files likewise): every file of a kind is
// read. Stated relationships, concrete values, text definitions, the Full
// and Delta files are not read.

// rf2Kind is one kind of RF2 file: its name pattern and columns.
type rf2Kind struct {
	name    string
	pattern *regexp.Regexp
	header  []string
}

var (
	rf2Concept = rf2Kind{"concept", regexp.MustCompile(`^sct2_Concept_[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "definitionStatusId"}}
	rf2Description = rf2Kind{"description", regexp.MustCompile(`^sct2_Description_[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term", "caseSignificanceId"}}
	rf2Relationship = rf2Kind{"relationship", regexp.MustCompile(`^sct2_Relationship_[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId", "relationshipGroup", "typeId", "characteristicTypeId", "modifierId"}}
	rf2Language = rf2Kind{"language refset", regexp.MustCompile(`^der2_cRefset_[^/]*Language[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId", "acceptabilityId"}}
	rf2Association = rf2Kind{"association refset", regexp.MustCompile(`^der2_cRefset_[^/]*Association[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId", "targetComponentId"}}
	rf2Simple = rf2Kind{"simple refset", regexp.MustCompile(`^der2_Refset_[^/]*Simple[^/]*Snapshot[^/]*\.txt$`),
		[]string{"id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId"}}
)

// preferredLanguageRefsets rank the language reference sets whose
// preferred synonym is the concept's preferred term: UK English clinical,
// UK English pharmacy, then GB English.
var preferredLanguageRefsets = []string{"999001261000000100", "999000691000001104", "900000000000508004"}

// rf2File is one file of a release, opened on demand.
type rf2File struct {
	name string // path within the release
	open func() (io.ReadCloser, error)
}

// rf2Source lists a release's files, from a zip or a folder.
func rf2Source(p string) (files []rf2File, closeFn func() error, err error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if info.IsDir() {
		err := filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files = append(files, rf2File{name: fp, open: func() (io.ReadCloser, error) { return os.Open(fp) }})
			return nil
		})
		return files, func() error { return nil }, err
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a folder nor a zip: %w", p, err)
	}
	for _, f := range zr.File {
		files = append(files, rf2File{name: p + "!" + f.Name, open: f.Open})
	}
	return files, zr.Close, nil
}

// snapshotFiles returns the files of a kind: Snapshot files, not those of
// a Full or Delta folder.
func snapshotFiles(files []rf2File, k rf2Kind) []rf2File {
	var out []rf2File
	for _, f := range files {
		base := path.Base(filepath.ToSlash(f.name))
		if i := strings.LastIndexByte(base, '!'); i >= 0 {
			base = base[i+1:]
		}
		dir := strings.ToLower(filepath.ToSlash(f.name))
		if strings.Contains(dir, "/full/") || strings.Contains(dir, "/delta/") {
			continue
		}
		if k.pattern.MatchString(base) {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// LineError is a malformed line of a release file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// readRF2 streams the rows of one file to fn, checking the header and
// each row's shape: ids are digits, active is 0 or 1, times are 8 digits.
func readRF2(f rf2File, k rf2Kind, fn func(row []string, line int) error) (int, error) {
	rc, err := f.open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		row := strings.Split(text, "\t")
		if line == 1 {
			if strings.Join(row, "\t") != strings.Join(k.header, "\t") {
				return 0, &LineError{f.name, line, fmt.Sprintf("not an RF2 %s file: the header is not %s", k.name, strings.Join(k.header, " "))}
			}
			continue
		}
		if text == "" {
			continue
		}
		if len(row) != len(k.header) {
			return 0, &LineError{f.name, line, fmt.Sprintf("%d columns, want %d", len(row), len(k.header))}
		}
		if !isDigits(row[0]) && !isUUID(row[0]) {
			return 0, &LineError{f.name, line, fmt.Sprintf("id %q is not an identifier", row[0])}
		}
		if len(row[1]) != 8 || !isDigits(row[1]) {
			return 0, &LineError{f.name, line, fmt.Sprintf("effectiveTime %q is not YYYYMMDD", row[1])}
		}
		if row[2] != "0" && row[2] != "1" {
			return 0, &LineError{f.name, line, fmt.Sprintf("active %q is not 0 or 1", row[2])}
		}
		for i := 3; i < len(row); i++ {
			if strings.HasSuffix(k.header[i], "Id") && !isDigits(row[i]) {
				return 0, &LineError{f.name, line, fmt.Sprintf("%s %q is not a SNOMED CT identifier", k.header[i], row[i])}
			}
		}
		if err := fn(row, line); err != nil {
			return 0, err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, &LineError{f.name, line + 1, err.Error()}
	}
	if line == 0 {
		return 0, &LineError{f.name, 1, "empty file (no header)"}
	}
	return line - 1, nil
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isUUID accepts the UUIDs that identify refset members.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// LoadOptions tune a load.
type LoadOptions struct {
	// Progress, when set, is told what the load is doing, now and then.
	Progress func(msg string)
	// Force loads a release even when the same version is current.
	Force bool
	// Batch is the number of rows written per store call (default 5000).
	Batch int
}

func (o LoadOptions) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// ErrAlreadyLoaded is returned (with the current release) when the
// release asked for is current already; nothing was changed.
var ErrAlreadyLoaded = fmt.Errorf("terminology: this release is loaded already")

// rf2Version names a release by its concept files (edition and date):
// "sct2_Concept_Snapshot_INT_20230131 + sct2_Concept_UKCLSnapshot_GB1000000_20230412".
func rf2Version(files []rf2File) string {
	var parts []string
	for _, f := range files {
		base := path.Base(filepath.ToSlash(f.name))
		if i := strings.LastIndexByte(base, '!'); i >= 0 {
			base = base[i+1:]
		}
		parts = append(parts, strings.TrimSuffix(base, ".txt"))
	}
	return strings.Join(parts, " + ")
}

// LoadRF2 loads a SNOMED CT RF2 Snapshot release (a zip or a folder) as
// the current SNOMED CT release. It streams each file, writing rows in
// batches under a new release id; on a malformed file (a *LineError
// naming file and line), a cancelled context or a failed write it removes
// what it wrote and the previous release stays current. Loading the
// release that is current already does nothing (ErrAlreadyLoaded) unless
// opt.Force.
func LoadRF2(ctx context.Context, st store.Terminology, p string, opt LoadOptions) (store.TermRelease, error) {
	files, closeFn, err := rf2Source(p)
	if err != nil {
		return store.TermRelease{}, err
	}
	defer closeFn()
	concepts := snapshotFiles(files, rf2Concept)
	descs := snapshotFiles(files, rf2Description)
	if len(concepts) == 0 || len(descs) == 0 {
		return store.TermRelease{}, fmt.Errorf("%s: no RF2 Snapshot concept and description files (sct2_Concept_...Snapshot...txt, sct2_Description_...Snapshot...txt)", p)
	}
	version := rf2Version(concepts)
	if !opt.Force {
		if cur, ok, err := currentRelease(ctx, st, SourceSNOMED); err != nil {
			return store.TermRelease{}, err
		} else if ok && cur.Version == version {
			return cur, ErrAlreadyLoaded
		}
	}
	batch := opt.Batch
	if batch <= 0 {
		batch = 5000
	}
	return loadRelease(ctx, st, SourceSNOMED, version, func(w store.ReleaseWriter) error {
		// 1. Language refsets: which synonyms are preferred.
		langs := snapshotFiles(files, rf2Language)
		preferredIn := map[string]map[string]bool{} // refset -> description ids preferred there
		for _, f := range langs {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Language, func(row []string, _ int) error {
				if row[2] == "1" && row[6] == sctPreferred {
					m := preferredIn[row[4]]
					if m == nil {
						m = map[string]bool{}
						preferredIn[row[4]] = m
					}
					m[row[5]] = true
				}
				return nil
			}); err != nil {
				return err
			}
		}
		var ranked []map[string]bool
		for _, r := range preferredLanguageRefsets {
			if m := preferredIn[r]; m != nil {
				ranked = append(ranked, m)
			}
		}
		if len(ranked) == 0 {
			// A release with other language refsets (a synthetic one, a
			// national edition elsewhere): any of them.
			for _, m := range preferredIn {
				ranked = append(ranked, m)
			}
		}
		isPreferred := func(id string) bool {
			for _, m := range ranked {
				if m[id] {
					return true
				}
			}
			return false
		}
		// 2. Descriptions, remembering each concept's preferred term.
		preferred := map[string]string{}
		var ds []store.TermDescription
		n := 0
		for _, f := range descs {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Description, func(row []string, line int) error {
				typ := store.DescSynonym
				switch {
				case row[6] == sctFSN:
					typ = store.DescFSN
				case row[6] != sctSynonym:
					return nil // text definitions and others are not terms
				case isPreferred(row[0]):
					typ = store.DescPreferred
				}
				if row[7] == "" {
					return &LineError{f.name, line, "empty term"}
				}
				active := row[2] == "1"
				if active && typ == store.DescPreferred {
					preferred[row[4]] = row[7]
				}
				ds = append(ds, store.TermDescription{ID: row[0], System: SNOMED, Code: row[4], Term: row[7], Type: typ, Lang: row[5], Active: active})
				if len(ds) == batch {
					if err := ctx.Err(); err != nil {
						return err
					}
					if err := w.AddDescriptions(ctx, ds); err != nil {
						return err
					}
					n += len(ds)
					ds = ds[:0]
					if n%100000 < batch {
						opt.progress("%d descriptions", n)
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := w.AddDescriptions(ctx, ds); err != nil {
			return err
		}
		opt.progress("%d descriptions", n+len(ds))
		// 3. Concepts.
		var cs []store.TermConcept
		n = 0
		for _, f := range concepts {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Concept, func(row []string, _ int) error {
				cs = append(cs, store.TermConcept{System: SNOMED, Code: row[0], Active: row[2] == "1", Module: row[3], Effective: row[1], Display: preferred[row[0]]})
				if len(cs) == batch {
					if err := ctx.Err(); err != nil {
						return err
					}
					if err := w.AddConcepts(ctx, cs); err != nil {
						return err
					}
					n += len(cs)
					cs = cs[:0]
					if n%100000 < batch {
						opt.progress("%d concepts", n)
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := w.AddConcepts(ctx, cs); err != nil {
			return err
		}
		opt.progress("%d concepts", n+len(cs))
		// 4. Relationships: IS-A and attributes, active ones.
		var rs []store.TermRelationship
		n = 0
		for _, f := range snapshotFiles(files, rf2Relationship) {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Relationship, func(row []string, line int) error {
				if row[2] != "1" {
					return nil
				}
				var group int
				if _, err := fmt.Sscan(row[6], &group); err != nil {
					return &LineError{f.name, line, fmt.Sprintf("relationshipGroup %q is not a number", row[6])}
				}
				rs = append(rs, store.TermRelationship{System: SNOMED, Source: row[4], Type: row[7], Dest: row[5], Group: group})
				if len(rs) == batch {
					if err := ctx.Err(); err != nil {
						return err
					}
					if err := w.AddRelationships(ctx, rs); err != nil {
						return err
					}
					n += len(rs)
					rs = rs[:0]
					if n%100000 < batch {
						opt.progress("%d relationships", n)
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := w.AddRelationships(ctx, rs); err != nil {
			return err
		}
		opt.progress("%d relationships", n+len(rs))
		// 5. Historical associations.
		var as []store.TermAssociation
		for _, f := range snapshotFiles(files, rf2Association) {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Association, func(row []string, _ int) error {
				if row[2] == "1" {
					as = append(as, store.TermAssociation{System: SNOMED, Source: row[5], Refset: row[4], Target: row[6]})
				}
				if len(as) == batch {
					if err := w.AddAssociations(ctx, as); err != nil {
						return err
					}
					as = as[:0]
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := w.AddAssociations(ctx, as); err != nil {
			return err
		}
		// 6. Simple reference sets.
		var ms []store.TermMember
		for _, f := range snapshotFiles(files, rf2Simple) {
			opt.progress("reading %s", f.name)
			if _, err := readRF2(f, rf2Simple, func(row []string, _ int) error {
				if row[2] == "1" {
					ms = append(ms, store.TermMember{Refset: row[4], Code: row[5]})
				}
				if len(ms) == batch {
					if err := w.AddMembers(ctx, ms); err != nil {
						return err
					}
					ms = ms[:0]
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := w.AddMembers(ctx, ms); err != nil {
			return err
		}
		opt.progress("making the release current")
		return nil
	})
}

// currentRelease returns the current release of source.
func currentRelease(ctx context.Context, st store.Terminology, source string) (store.TermRelease, bool, error) {
	rels, err := st.TermReleases(ctx)
	if err != nil {
		return store.TermRelease{}, false, err
	}
	for _, r := range rels {
		if r.Source == source {
			return r, true, nil
		}
	}
	return store.TermRelease{}, false, nil
}
