// Package rf2synth writes a synthetic SNOMED CT RF2 Snapshot release of a
// realistic size and shape, for the terminology benchmark and scale tests
// (the real release is licensed and cannot ship): by default 350,000
// concepts, about 1.2 million descriptions (a fully specified name, a
// preferred term and one to three synonyms each), a deep IS-A hierarchy
// (a concept's parent is drawn from recent concepts, so chains run
// twenty and more deep, with one concept in ten given a second parent),
// attribute relationships, the GB English language reference set,
// historical associations for inactive concepts and two simple reference
// sets. A handful of real concepts (diabetes mellitus and its types,
// hypertension, asthma) sit in it so that benchmarks can type what
// clinicians type. The same seed writes the same release.
package rf2synth

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Options size the release.
type Options struct {
	Concepts int    // default 350,000
	Seed     uint64 // default 1
}

// Stats describe what was written.
type Stats struct {
	Concepts, Descriptions, Relationships, MaxDepth int
	// Dir is the release folder (Snapshot/Terminology and Snapshot/Refset).
	Dir string
}

// Real concepts placed in the hierarchy: code, parent, preferred term, synonyms.
var real = [][]string{
	{"404684003", "138875005", "Clinical finding"},
	{"64572001", "404684003", "Disease"},
	{"73211009", "64572001", "Diabetes mellitus", "DM - Diabetes mellitus"},
	{"44054006", "73211009", "Type 2 diabetes mellitus", "T2DM - Type 2 diabetes mellitus", "Non-insulin dependent diabetes mellitus"},
	{"46635009", "73211009", "Type 1 diabetes mellitus", "T1DM - Type 1 diabetes mellitus", "Insulin dependent diabetes mellitus"},
	{"38341003", "64572001", "Hypertension", "High blood pressure", "Hypertensive disorder"},
	{"195967001", "64572001", "Asthma"},
}

var syllables = strings.Fields("ab ac ad al an ar as at ba be bi bo ca ce chol co cor cy da de di do du em en ep er es ga ge gi glu gra he hep hy id il im in ka ke la le li lo lu ma me mi mo my na ne neo ni no nu ob oc op or os pa pe phi pi po pro pu ra re ri ro ru sa se si so sta su ta te ti to tri tu ul um ur va ve vi vo xa ze zo")

var qualifiers = strings.Fields("acute chronic left right bilateral congenital primary secondary recurrent severe mild moderate disorder of the syndrome injury infection finding procedure deficiency")

// maxDepth bounds the hierarchy's depth.
const maxDepth = 28

var tags = []string{"disorder", "finding", "procedure", "substance", "body structure", "observable entity"}

// Write writes the release under dir and returns what it holds.
func Write(dir string, opt Options) (Stats, error) {
	if opt.Concepts <= 0 {
		opt.Concepts = 350000
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 42))
	term := filepath.Join(dir, "Snapshot", "Terminology")
	refset := filepath.Join(dir, "Snapshot", "Refset", "Language")
	content := filepath.Join(dir, "Snapshot", "Refset", "Content")
	for _, d := range []string{term, refset, content} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Stats{}, err
		}
	}
	const date = "20250101"
	files := map[string]*bufio.Writer{}
	var closers []*os.File
	open := func(name, dirname, header string) *bufio.Writer {
		f, err := os.Create(filepath.Join(dirname, name))
		if err != nil {
			panic(err)
		}
		closers = append(closers, f)
		w := bufio.NewWriterSize(f, 1<<20)
		w.WriteString(header + "\r\n")
		files[name] = w
		return w
	}
	var st Stats
	st.Dir = dir
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("rf2synth: %v", r)
			}
		}()
		cw := open("sct2_Concept_Snapshot_SYN_"+date+".txt", term, "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId")
		dw := open("sct2_Description_Snapshot-en_SYN_"+date+".txt", term, "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId")
		rw := open("sct2_Relationship_Snapshot_SYN_"+date+".txt", term, "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId")
		lw := open("der2_cRefset_LanguageSnapshot-en_SYN_"+date+".txt", refset, "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId")
		aw := open("der2_cRefset_AssociationSnapshot_SYN_"+date+".txt", content, "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\ttargetComponentId")
		sw := open("der2_Refset_SimpleSnapshot_SYN_"+date+".txt", content, "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId")
		const module = "900000000000207008"
		var descSeq, relSeq, memberSeq int64 = 1000, 1000, 1000
		member := func() string {
			memberSeq++
			return fmt.Sprintf("%08x-0000-4000-8000-%012x", memberSeq>>16, memberSeq)
		}
		desc := func(concept, text, typ string, preferred bool) {
			descSeq++
			id := SCTID(descSeq, "01")
			fmt.Fprintf(dw, "%s\t%s\t1\t%s\t%s\ten\t%s\t%s\t900000000000448009\r\n", id, date, module, concept, typ, text)
			acc := "900000000000549004"
			if preferred {
				acc = "900000000000548007"
			}
			fmt.Fprintf(lw, "%s\t%s\t1\t%s\t900000000000508004\t%s\t%s\r\n", member(), date, module, id, acc)
			st.Descriptions++
		}
		rel := func(src, dst, typ string, group int) {
			relSeq++
			fmt.Fprintf(rw, "%s\t%s\t1\t%s\t%s\t%s\t%d\t%s\t900000000000011006\t900000000000451002\r\n", SCTID(relSeq, "02"), date, module, src, dst, group, typ)
			st.Relationships++
		}
		concept := func(id string, active bool) {
			a := "1"
			if !active {
				a = "0"
			}
			fmt.Fprintf(cw, "%s\t%s\t%s\t%s\t900000000000074008\r\n", id, date, a, module)
			st.Concepts++
		}
		word := func() string {
			n := 2 + rng.IntN(3)
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteString(syllables[rng.IntN(len(syllables))])
			}
			return b.String()
		}
		// A vocabulary whose words recur as words of clinical terms do: a
		// few very often, most rarely (Zipf).
		vocab := make([]string, 40000)
		for i := range vocab {
			vocab[i] = word()
		}
		zipf := rand.NewZipf(rng, 1.1, 8, uint64(len(vocab)-1))
		phrase := func() string {
			n := 1 + rng.IntN(4)
			parts := make([]string, 0, n+1)
			if rng.IntN(3) == 0 {
				parts = append(parts, qualifiers[rng.IntN(len(qualifiers))])
			}
			for i := 0; i < n; i++ {
				parts = append(parts, vocab[zipf.Uint64()])
			}
			s := strings.Join(parts, " ")
			return strings.ToUpper(s[:1]) + s[1:]
		}
		root := "138875005"
		concept(root, true)
		desc(root, "SNOMED CT Concept (SNOMED RT+CTV3)", "900000000000003001", false)
		desc(root, "SNOMED CT Concept", "900000000000013009", true)
		codes := []string{root}
		depth := map[string]int{root: 0}
		for _, r := range real {
			concept(r[0], true)
			desc(r[0], r[2]+" (disorder)", "900000000000003001", false)
			desc(r[0], r[2], "900000000000013009", true)
			for _, syn := range r[3:] {
				desc(r[0], syn, "900000000000013009", false)
			}
			rel(r[0], r[1], "116680003", 0)
			depth[r[0]] = depth[r[1]] + 1
			codes = append(codes, r[0])
		}
		inactive := 0
		for seq := int64(1_000_000); st.Concepts < opt.Concepts; seq++ { // above the real concepts' item ids
			id := SCTID(seq, "00")
			// Inactive concepts: one in twenty, with a replacement.
			if rng.IntN(20) == 0 && len(codes) > 10 {
				concept(id, false)
				p := phrase()
				desc(id, p+" ("+tags[rng.IntN(len(tags))]+")", "900000000000003001", false)
				desc(id, p, "900000000000013009", true)
				fmt.Fprintf(aw, "%s\t%s\t1\t%s\t900000000000527005\t%s\t%s\r\n", member(), date, module, id, codes[rng.IntN(len(codes))])
				inactive++
				continue
			}
			// The deepest of three concepts drawn at random, below
			// MaxDepth: a hierarchy as deep as SNOMED CT's (twenty and
			// more levels), with many concepts near the bottom.
			parent := codes[rng.IntN(len(codes))]
			for try := 0; try < 3 || depth[parent] >= maxDepth; try++ {
				c := codes[rng.IntN(len(codes))]
				if depth[c] < maxDepth && (depth[c] > depth[parent] || depth[parent] >= maxDepth) {
					parent = c
				}
			}
			concept(id, true)
			p := phrase()
			desc(id, p+" ("+tags[rng.IntN(len(tags))]+")", "900000000000003001", false)
			desc(id, p, "900000000000013009", true)
			for n := rng.IntN(3) + rng.IntN(2); n > 0; n-- {
				desc(id, phrase(), "900000000000013009", false)
			}
			rel(id, parent, "116680003", 0)
			d := depth[parent] + 1
			if rng.IntN(10) == 0 {
				// A second parent near the first (a sibling's parent), as
				// SNOMED CT's are: ancestor sets stay tens, not thousands.
				other := codes[max(0, len(codes)-1-rng.IntN(200))]
				if other != parent && depth[other] < maxDepth {
					rel(id, other, "116680003", 0)
				}
			}
			if rng.IntN(2) == 0 {
				rel(id, codes[rng.IntN(len(codes))], "363698007", 1) // finding site
			}
			depth[id] = d
			st.MaxDepth = max(st.MaxDepth, d)
			codes = append(codes, id)
			if rng.IntN(300) == 0 {
				fmt.Fprintf(sw, "%s\t%s\t1\t%s\t999000011000000103\t%s\r\n", member(), date, module, id)
			}
		}
		for _, w := range files {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		return nil
	}()
	for _, f := range closers {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return st, err
}

// SCTID makes a SNOMED CT identifier: an item id, a partition ("00"
// concept, "01" description, "02" relationship) and a Verhoeff check digit.
func SCTID(item int64, partition string) string {
	s := strconv.FormatInt(item, 10) + partition
	return s + strconv.Itoa(verhoeffDigit(s))
}

var (
	vd = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	vp = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	vinv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

func verhoeffDigit(num string) int {
	c := 0
	for i := 0; i < len(num); i++ {
		c = vd[c][vp[(i+1)%8][int(num[len(num)-1-i]-'0')]]
	}
	return vinv[c]
}
