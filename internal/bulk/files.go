package bulk

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gpcloud/gpcloud/internal/audit"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Which files an import reads. Every file it passes over is listed with
// the reason, so that nothing is left out unseen: a directory holding a
// manifest.json (an export) is read exactly as its manifest lists it, so
// that files left from an earlier export in the same folder cannot be
// imported in place of the current ones; other directories are read by
// file name (.json and .ndjson, gzipped or not); NDJSON that is not FHIR
// (a Bulk Data client's log.ndjson) or holds OperationOutcomes (a Bulk
// Data error file) is not records.

// Skipped is a file an import passed over, and why.
type Skipped struct {
	File   string
	Reason string
}

func (s Skipped) String() string { return s.File + ": skipped: " + s.Reason }

// CheckPaths refuses, before anything is imported, what Import would
// stop at: a path that does not exist, or an export whose manifest lists
// a file that is not there (the extract is incomplete).
func CheckPaths(paths []string) error {
	_, _, err := listFiles(paths)
	return err
}

// listFiles expands paths (files, directories, an export's manifest.json)
// into the files to import, in order, and the files passed over.
func listFiles(paths []string) ([]string, []Skipped, error) {
	l := &lister{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // "stat x: ..." says stat, which the reader did not do
			}
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		switch {
		case fi.IsDir():
			err = l.dir(p)
		case filepath.Base(p) == ManifestName && readManifest(filepath.Dir(p)) != nil:
			err = l.dir(filepath.Dir(p)) // the export it describes
		default:
			l.add([]string{p}) // named, so read whatever its name
		}
		if err != nil {
			return nil, nil, err
		}
	}
	sort.SliceStable(l.skipped, func(i, j int) bool { return l.skipped[i].File < l.skipped[j].File })
	return l.files, l.skipped, nil
}

type lister struct {
	files   []string
	skipped []Skipped
}

func (l *lister) skip(file, reason string) {
	l.skipped = append(l.skipped, Skipped{File: file, Reason: reason})
}

// add keeps the files that hold FHIR records.
func (l *lister) add(files []string) {
	for _, f := range files {
		if reason := notRecords(f); reason != "" {
			l.skip(f, reason)
			continue
		}
		l.files = append(l.files, f)
	}
}

// dir lists a directory recursively, in name order; a directory (the
// root or one below it) holding a manifest is read as the manifest says.
func (l *lister) dir(root string) error {
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if m := readManifest(p); m != nil {
				listed, err := l.manifest(p, m)
				found = append(found, listed...)
				if err != nil {
					return err
				}
				return fs.SkipDir
			}
			return nil
		}
		name := strings.TrimSuffix(d.Name(), ".gz")
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".ndjson") {
			l.skip(p, "not a .json or .ndjson file (gzipped or not)")
			return nil
		}
		if name == audit.HeadFile {
			l.skip(p, "an extract's record of its audit trail's head, not data (gpcloud admin audit verify --extract checks it)")
			return nil
		}
		found = append(found, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(found)
	kept, superseded := withoutSuperseded(found)
	l.skipped = append(l.skipped, superseded...)
	l.add(kept)
	return nil
}

// manifestFiles is what an import reads of a Bulk Data manifest.
type manifestFiles struct {
	TransactionTime string `json:"transactionTime"`
	Output          *[]struct {
		URL string `json:"url"`
	} `json:"output"`
	Deleted []struct {
		URL string `json:"url"`
	} `json:"deleted"`
	Error []struct {
		URL string `json:"url"`
	} `json:"error"`
}

// readManifest reads dir's manifest.json; nil when there is none or it
// is not a Bulk Data manifest (transactionTime and output).
func readManifest(dir string) *manifestFiles {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil
	}
	defer f.Close()
	var m manifestFiles
	if json.NewDecoder(io.LimitReader(f, 64<<20)).Decode(&m) != nil || m.TransactionTime == "" || m.Output == nil {
		return nil
	}
	return &m
}

// manifest returns the files dir's manifest lists, in its order; every
// other file under dir is skipped. A listed file that is missing stops
// the import before it starts.
func (l *lister) manifest(dir string, m *manifestFiles) ([]string, error) {
	manifest := filepath.Join(dir, ManifestName)
	listed := map[string]bool{}
	var files []string
	urls := make([]string, 0, len(*m.Output)+len(m.Deleted))
	for _, o := range *m.Output {
		urls = append(urls, o.URL)
	}
	for _, o := range m.Deleted {
		urls = append(urls, o.URL) // deletions, applied as such (*.deleted.ndjson)
	}
	for _, u := range urls {
		p, err := localFile(dir, u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", manifest, err)
		}
		if _, err := os.Stat(p); err != nil {
			if _, gzErr := os.Stat(p + ".gz"); gzErr != nil {
				return nil, fmt.Errorf("%s lists %s, which is not in %s: the extract is incomplete (to import the folder's files by their names instead, remove %s)",
					manifest, filepath.Base(p), filepath.Dir(p), ManifestName)
			}
			p += ".gz"
		}
		if !listed[p] {
			listed[p] = true
			files = append(files, p)
		}
	}
	errorFiles := map[string]bool{}
	for _, e := range m.Error {
		if p, err := localFile(dir, e.URL); err == nil {
			errorFiles[p], errorFiles[p+".gz"] = true, true
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == dir || listed[p] || p == manifest || p == filepath.Join(dir, DescriptionName) || p == filepath.Join(dir, audit.HeadFile):
		case d.IsDir():
			l.skip(p, "a folder inside an export, which its "+ManifestName+" does not list")
			return fs.SkipDir
		case errorFiles[p]:
			l.skip(p, "an error file of the export (OperationOutcomes), listed under error in "+manifest)
		default:
			l.skip(p, "not listed in "+manifest)
		}
		return nil
	})
	return files, err
}

// localFile is where a manifest's url is in dir: a relative url names
// the file (within dir), an absolute one (a server's download link) by
// its last segment.
func localFile(dir, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "", fmt.Errorf("output url %q is not a file's URL", raw)
	}
	name := u.Path
	if u.IsAbs() || u.Host != "" {
		name = path.Base(u.Path)
	}
	name = filepath.FromSlash(name)
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("output url %q points outside the export's folder", raw)
	}
	return filepath.Join(dir, name), nil
}

// notRecords says why an NDJSON file holds no FHIR records, judging by
// its first line: JSON without a resourceType (a Bulk Data client's
// log.ndjson), or OperationOutcomes (a Bulk Data error file). A first
// line that is not JSON at all is left for the import to report.
func notRecords(file string) string {
	if !strings.HasSuffix(strings.TrimSuffix(file, ".gz"), ".ndjson") {
		return ""
	}
	rc, err := open(file)
	if err != nil {
		return "" // the import reports it
	}
	defer rc.Close()
	var first struct {
		ResourceType *string `json:"resourceType"`
	}
	if json.NewDecoder(rc).Decode(&first) != nil {
		return "" // empty, or not JSON: the import reports it
	}
	switch {
	case first.ResourceType == nil:
		return "not FHIR NDJSON: its first line has no resourceType (a log?)"
	case *first.ResourceType == "OperationOutcome":
		return "holds OperationOutcomes, as a Bulk Data error file does, not records"
	}
	return ""
}

// withoutSuperseded drops a type's current-version NDJSON files when the
// same directory holds history files of that type, which carry those
// versions too.
func withoutSuperseded(files []string) (kept []string, superseded []Skipped) {
	typeOf := func(f string) string {
		base := filepath.Base(f)
		if i := strings.IndexByte(base, '.'); i > 0 {
			return filepath.Join(filepath.Dir(f), base[:i])
		}
		return f
	}
	history := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(strings.TrimSuffix(f, ".gz"), historySuffix) && history[typeOf(f)] == "" {
			history[typeOf(f)] = f
		}
	}
	for _, f := range files {
		base := strings.TrimSuffix(f, ".gz")
		if h := history[typeOf(f)]; h != "" && strings.HasSuffix(base, ".ndjson") && !strings.HasSuffix(base, historySuffix) && !strings.HasSuffix(base, deletedSuffix) {
			superseded = append(superseded, Skipped{File: f, Reason: "its resources' versions are in " + filepath.Base(h)})
			continue
		}
		kept = append(kept, f)
	}
	return kept, superseded
}
