// Package dmdsynth writes a synthetic dm+d XML release in NHSBSA's layout
// (f_lookup2, f_vtm2, f_vmp2, f_amp2, f_vmpp2, f_ampp2) of full size, for
// the drug typeahead's benchmark (the real release is licensed through
// TRUD and cannot ship): by default about 350,000 products and packs:
// 3,800 VTMs with about eight VMPs each (strengths by forms), four AMPs a
// VMP from 300 suppliers, and a pack or two of each. Some VMPs are
// controlled drugs, not prescribable, brand-only or unavailable, in about
// the proportions of the real release. A few real moieties (amoxicillin,
// paracetamol, ibuprofen, morphine) sit in it so that benchmarks type what
// prescribers type. The same seed writes the same release.
package dmdsynth

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options size the release.
type Options struct {
	VTMs int    // default 3,800 (about 350,000 concepts in all)
	Seed uint64 // default 1
}

// Stats describe what was written.
type Stats struct {
	VTMs, VMPs, AMPs, VMPPs, AMPPs int
	// Names are VMP names, for benchmarks to type.
	Names []string
}

// Total is the number of concepts written.
func (s Stats) Total() int { return s.VTMs + s.VMPs + s.AMPs + s.VMPPs + s.AMPPs }

var syllables = strings.Fields("ab ac ad al am an ar as ax ba be bi bo bu ca ce cla co cy da de di do du el em en ep er es fa fe fi flu ga ge gli ka ke la le li lo lu ma me mi mo mu na ne ni no nu ol om on op or pa pe pi po pra pro ra re ri ro ru sa se si so su ta te ti to tra tu va ve vi vo xa xi za ze zo")

var endings = strings.Fields("mab nib pril sartan olol statin azole cillin mycin prazole parin tidine dronate lukast floxacin vir setron triptan")

var forms = []struct{ name, unit string }{
	{"tablets", "tablet"}, {"capsules", "capsule"}, {"modified-release tablets", "tablet"}, {"oral solution", "ml"},
	{"gastro-resistant tablets", "tablet"}, {"cream", "gram"}, {"solution for injection ampoules", "ampoule"}, {"inhaler", "dose"},
	{"dispersible tablets", "tablet"}, {"eye drops", "ml"},
}

var strengths = []string{"1mg", "2.5mg", "5mg", "10mg", "20mg", "25mg", "40mg", "50mg", "100mg", "200mg", "250mg", "400mg", "500mg", "1g", "5mg/5ml", "250mg/5ml"}

var realVTMs = []string{"Amoxicillin", "Paracetamol", "Ibuprofen", "Morphine", "Metformin", "Sertraline", "Simvastatin", "Omeprazole", "Pregabalin", "Diazepam"}

// Write writes the release's six files under dir.
func Write(dir string, opt Options) (Stats, error) {
	if opt.VTMs <= 0 {
		opt.VTMs = 3800
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 17))
	var st Stats
	next := int64(1000)
	id := func() string { next++; return SCTID(next, "1999999") }
	files := map[string]*bufio.Writer{}
	var closers []*os.File
	for _, k := range []string{"lookup", "vtm", "vmp", "amp", "vmpp", "ampp"} {
		f, err := os.Create(filepath.Join(dir, "f_"+k+"2_9990101.xml"))
		if err != nil {
			return st, err
		}
		closers = append(closers, f)
		files[k] = bufio.NewWriterSize(f, 1<<20)
		fmt.Fprint(files[k], `<?xml version="1.0" encoding="utf-8"?>`+"\n")
	}
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	fmt.Fprint(files["lookup"], `<LOOKUP>
<VIRTUAL_PRODUCT_PRES_STATUS><INFO><CD>0001</CD><DESC>Valid as a prescribable product</DESC></INFO><INFO><CD>0002</CD><DESC>Invalid as a prescribable product</DESC></INFO><INFO><CD>0003</CD><DESC>Not recommended to prescribe as a VMP due to lack of bioequivalence</DESC></INFO></VIRTUAL_PRODUCT_PRES_STATUS>
<CONTROL_DRUG_CATEGORY><INFO><CD>0000</CD><DESC>No Controlled Drug Status</DESC></INFO><INFO><CD>0001</CD><DESC>Schedule 2 (CD)</DESC></INFO><INFO><CD>0002</CD><DESC>Schedule 3 (CD No Register)</DESC></INFO><INFO><CD>0003</CD><DESC>Schedule 4 (CD Benz)</DESC></INFO><INFO><CD>0004</CD><DESC>Schedule 5 (CD Inv)</DESC></INFO></CONTROL_DRUG_CATEGORY>
<VIRTUAL_PRODUCT_NON_AVAIL><INFO><CD>0001</CD><DESC>Actual Products not Available</DESC></INFO></VIRTUAL_PRODUCT_NON_AVAIL>
<AVAILABILITY_RESTRICTION><INFO><CD>0001</CD><DESC>None</DESC></INFO><INFO><CD>0009</CD><DESC>Discontinued</DESC></INFO><INFO><CD>0003</CD><DESC>Hospital only</DESC></INFO></AVAILABILITY_RESTRICTION>
<UNIT_OF_MEASURE>`)
	for i, f := range forms {
		fmt.Fprintf(files["lookup"], `<INFO><CD>%d</CD><DESC>%s</DESC></INFO>`, 100+i, f.unit)
	}
	fmt.Fprint(files["lookup"], "</UNIT_OF_MEASURE>\n</LOOKUP>\n")
	fmt.Fprint(files["vtm"], "<VIRTUAL_THERAPEUTIC_MOIETIES>\n")
	fmt.Fprint(files["vmp"], "<VIRTUAL_MED_PRODUCTS><VMPS>\n")
	fmt.Fprint(files["amp"], "<ACTUAL_MEDICINAL_PRODUCTS><AMPS>\n")
	fmt.Fprint(files["vmpp"], "<VIRTUAL_MED_PRODUCT_PACK><VMPPS>\n")
	fmt.Fprint(files["ampp"], "<ACTUAL_MEDICINAL_PROD_PACKS><AMPPS>\n")
	suppliers := make([]string, 300)
	for i := range suppliers {
		suppliers[i] = word(rng, 2) + " " + []string{"Ltd", "Pharma Ltd", "Healthcare UK Ltd", "Pharmaceuticals Ltd"}[rng.IntN(4)]
	}
	var vpis, cds strings.Builder
	for v := 0; v < opt.VTMs; v++ {
		name := word(rng, 2+rng.IntN(2)) + endings[rng.IntN(len(endings))]
		if v < len(realVTMs) {
			name = realVTMs[v]
		}
		vtm := id()
		fmt.Fprintf(files["vtm"], "<VTM><VTMID>%s</VTMID><NM>%s</NM></VTM>\n", vtm, name)
		st.VTMs++
		substance := id()
		nvmp := 4 + rng.IntN(9)
		for k := 0; k < nvmp; k++ {
			fi := rng.IntN(len(forms))
			f := forms[fi]
			strength := strengths[rng.IntN(len(strengths))]
			vname := fmt.Sprintf("%s %s %s", name, strength, f.name)
			vpid := id()
			status, nonAvail := "0001", ""
			switch r := rng.IntN(100); {
			case r < 2:
				status = "0002"
			case r < 5:
				status = "0003"
			case r < 8:
				nonAvail = "<NON_AVAILCD>0001</NON_AVAILCD>"
			}
			fmt.Fprintf(files["vmp"], "<VMP><VPID>%s</VPID><VTMID>%s</VTMID><NM>%s</NM><PRES_STATCD>%s</PRES_STATCD>%s<UNIT_DOSE_UOMCD>%d</UNIT_DOSE_UOMCD></VMP>\n",
				vpid, vtm, vname, status, nonAvail, 100+fi)
			fmt.Fprintf(&vpis, "<VPI><VPID>%s</VPID><ISID>%s</ISID></VPI>\n", vpid, substance)
			cat := "0000"
			if r := rng.IntN(100); r < 4 {
				cat = fmt.Sprintf("%04d", 1+rng.IntN(4))
			}
			fmt.Fprintf(&cds, "<CONTROL_INFO><VPID>%s</VPID><CATCD>%s</CATCD></CONTROL_INFO>\n", vpid, cat)
			st.VMPs++
			if k == 0 {
				st.Names = append(st.Names, vname)
			}
			var vmpps []string
			for p := 0; p < 1+rng.IntN(2); p++ {
				vppid := id()
				qty := []int{7, 14, 28, 30, 56, 84, 100}[rng.IntN(7)]
				fmt.Fprintf(files["vmpp"], "<VMPP><VPPID>%s</VPPID><NM>%s %d %s</NM><VPID>%s</VPID><QTYVAL>%d</QTYVAL></VMPP>\n", vppid, vname, qty, f.unit, vpid, qty)
				vmpps = append(vmpps, vppid)
				st.VMPPs++
			}
			for a := 0; a < 2+rng.IntN(5); a++ {
				apid := id()
				sup := suppliers[rng.IntN(len(suppliers))]
				aname := vname
				if rng.IntN(3) == 0 {
					aname = word(rng, 2) + " " + strength + " " + f.name // a brand
				}
				restrict := "0001"
				if rng.IntN(20) == 0 {
					restrict = "0009"
				}
				fmt.Fprintf(files["amp"], "<AMP><APID>%s</APID><VPID>%s</VPID><NM>%s</NM><DESC>%s (%s)</DESC><AVAIL_RESTRICTCD>%s</AVAIL_RESTRICTCD></AMP>\n", apid, vpid, aname, aname, sup, restrict)
				st.AMPs++
				for _, vppid := range vmpps {
					appid := id()
					fmt.Fprintf(files["ampp"], "<AMPP><APPID>%s</APPID><NM>%s (%s) pack</NM><VPPID>%s</VPPID><APID>%s</APID></AMPP>\n", appid, aname, sup, vppid, apid)
					st.AMPPs++
				}
			}
		}
	}
	fmt.Fprint(files["vtm"], "</VIRTUAL_THERAPEUTIC_MOIETIES>\n")
	fmt.Fprintf(files["vmp"], "</VMPS>\n<VIRTUAL_PRODUCT_INGREDIENT>\n%s</VIRTUAL_PRODUCT_INGREDIENT>\n<CONTROL_DRUG_INFO>\n%s</CONTROL_DRUG_INFO>\n</VIRTUAL_MED_PRODUCTS>\n", vpis.String(), cds.String())
	fmt.Fprint(files["amp"], "</AMPS></ACTUAL_MEDICINAL_PRODUCTS>\n")
	fmt.Fprint(files["vmpp"], "</VMPPS></VIRTUAL_MED_PRODUCT_PACK>\n")
	fmt.Fprint(files["ampp"], "</AMPPS></ACTUAL_MEDICINAL_PROD_PACKS>\n")
	for _, w := range files {
		if err := w.Flush(); err != nil {
			return st, err
		}
	}
	return st, nil
}

func word(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syllables[rng.IntN(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// SCTID makes an extension SCTID (partition 10: concept in an extension)
// of item in namespace, with its Verhoeff check digit.
func SCTID(item int64, namespace string) string {
	base := fmt.Sprintf("%d%s10", item, namespace)
	return base + string(rune('0'+verhoeffDigit(base)))
}

var (
	vd = [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1}, {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	vp = [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1}, {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	vinv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

func verhoeffDigit(num string) int {
	c := 0
	for i := 0; i < len(num); i++ {
		c = vd[c][vp[(i+1)%8][num[len(num)-1-i]-'0']]
	}
	return vinv[c]
}
