package terminology

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/store"
)

// starterTSV is the starter set: system, code and display of the SNOMED
// CT and dm+d codes found in the shared test data (go generate).
//
//go:embed starter.tsv
var starterTSV string

// StarterVersion prefixes the version of a release loaded from the
// starter set; a real release (any other version) is never replaced by it.
const StarterVersion = "starter-"

// LoadStarter loads the starter set for each source that has no release,
// or whose release is an older starter set: SNOMED CT and dm+d from
// starter.tsv (codes and terms, no hierarchy), and the code systems of
// the value sets FHIR R4 binds as required. It does nothing where a
// licensed release was loaded. It returns what it loaded.
func LoadStarter(ctx context.Context, st store.Terminology) ([]store.TermRelease, error) {
	current := map[string]string{}
	rels, err := st.TermReleases(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		current[r.Source] = r.Version
	}
	sum := sha256.Sum256([]byte(starterTSV))
	version := StarterVersion + hex.EncodeToString(sum[:6])
	bySource := map[string][]store.TermConcept{}
	sc := bufio.NewScanner(strings.NewReader(starterTSV))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("starter.tsv: malformed line %q", line)
		}
		src := SourceSNOMED
		if f[0] == DMD {
			src = SourceDMD
		}
		bySource[src] = append(bySource[src], store.TermConcept{System: f[0], Code: f[1], Active: true, Display: f[2]})
	}
	seen := map[[2]string]bool{}
	for _, u := range definitions.ValueSetURLs() {
		codes, _ := definitions.ValueSetCodes(u)
		for _, c := range codes {
			k := [2]string{c.System, c.Code}
			if c.System == "" || c.System == SNOMED || c.System == DMD || seen[k] {
				continue
			}
			seen[k] = true
			bySource[SourceFHIR] = append(bySource[SourceFHIR], store.TermConcept{System: c.System, Code: c.Code, Active: true, Display: c.Code})
		}
	}
	var loaded []store.TermRelease
	for _, src := range []string{SourceSNOMED, SourceDMD, SourceFHIR} {
		have, ok := current[src]
		if ok && (have == version || !strings.HasPrefix(have, StarterVersion)) {
			continue
		}
		cs := bySource[src]
		sort.Slice(cs, func(i, j int) bool { return cs[i].System+"|"+cs[i].Code < cs[j].System+"|"+cs[j].Code })
		ds := make([]store.TermDescription, len(cs))
		for i, c := range cs {
			// The starter set has no description ids: these are its own,
			// never shown as SNOMED CT description ids (see descID).
			ds[i] = store.TermDescription{ID: "starter:" + c.System + "|" + c.Code, System: c.System, Code: c.Code, Term: c.Display, Type: store.DescPreferred, Lang: "en", Active: true}
		}
		rel, err := loadRelease(ctx, st, src, version, func(w store.ReleaseWriter) error {
			if err := w.AddConcepts(ctx, cs); err != nil {
				return err
			}
			return w.AddDescriptions(ctx, ds)
		})
		if err != nil {
			return loaded, fmt.Errorf("load the starter set of %s: %w", src, err)
		}
		loaded = append(loaded, rel)
	}
	return loaded, nil
}

// loadRelease writes a release with fill and makes it current, or removes
// it when fill fails: the previous release stays.
func loadRelease(ctx context.Context, st store.Terminology, source, version string, fill func(store.ReleaseWriter) error) (store.TermRelease, error) {
	w, err := st.BeginRelease(ctx, source, version)
	if err != nil {
		return store.TermRelease{}, err
	}
	if err := fill(w); err != nil {
		if aerr := w.Abort(ctx); aerr != nil {
			return store.TermRelease{}, fmt.Errorf("%w (and removing the partial release failed: %v)", err, aerr)
		}
		return store.TermRelease{}, err
	}
	rel, err := w.Commit(ctx)
	if err != nil {
		_ = w.Abort(ctx)
	}
	return rel, err
}

// descID returns a description's SNOMED CT id, or "" for the ids the
// service makes up where a source has none (the starter set's, dm+d's:
// they hold a colon, which SNOMED CT ids never do).
func descID(d store.TermDescription) string {
	if d.System != SNOMED || strings.Contains(d.ID, ":") {
		return ""
	}
	return d.ID
}
