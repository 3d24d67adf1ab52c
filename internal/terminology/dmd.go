package terminology

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// dm+d: the NHS Dictionary of Medicines and Devices, as NHSBSA publishes
// it on TRUD: XML files f_lookup2_*, f_vtm2_*, f_vmp2_*, f_amp2_*,
// f_vmpp2_*, f_ampp2_* (the "2" and the date vary). Each holds records
// (<VTM>, <VMP>, <VPI>...) whose children are fields; LoadDMD reads those
// it keeps:
//
//	VTM   virtual therapeutic moiety (paracetamol)
//	VMP   virtual medicinal product (paracetamol 500mg tablets): the VTM,
//	      prescribing status, non-availability, form, route, ingredients
//	      with strengths, controlled-drug category, unit dose
//	AMP   actual medicinal product (a brand or supplier's product): the
//	      VMP, supplier, availability restriction, licensing authority
//	VMPP  virtual pack: the VMP, quantity, Drug Tariff category and price
//	AMPP  actual pack: the AMP and VMPP, legal category, discontinued,
//	      prescribing flags (Schedule 1 "blacklisted", Schedule 2 selected
//	      list services, ACBS, nurse and dental formularies)
//
// Codes of the lookups (f_lookup: forms, routes, categories...) are
// stored with their descriptions. An AMP is-a its VMP and a VMP is-a its
// VTM, so subsumption and :below walk dm+d as they walk SNOMED CT.

var dmdFiles = []struct {
	kind    string
	pattern *regexp.Regexp
}{
	{"lookup", regexp.MustCompile(`^f_lookup\d*_.*\.xml$`)},
	{"vtm", regexp.MustCompile(`^f_vtm\d*_.*\.xml$`)},
	{"vmp", regexp.MustCompile(`^f_vmp\d*_.*\.xml$`)},
	{"amp", regexp.MustCompile(`^f_amp\d*_.*\.xml$`)},
	{"vmpp", regexp.MustCompile(`^f_vmpp\d*_.*\.xml$`)},
	{"ampp", regexp.MustCompile(`^f_ampp\d*_.*\.xml$`)},
}

// dmdRecords are the record elements read, by file kind.
var dmdRecords = map[string]map[string]bool{
	"lookup": {"INFO": true},
	"vtm":    {"VTM": true},
	"vmp":    {"VMP": true, "VPI": true, "DFORM": true, "DROUTE": true, "CONTROL_INFO": true},
	"amp":    {"AMP": true},
	"vmpp":   {"VMPP": true, "DTINFO": true},
	"ampp":   {"AMPP": true, "PRESC_INFO": true},
}

// dmdRecord is one record: its element, the element around it (a
// lookup's table), its fields, and where it started.
type dmdRecord struct {
	name, parent string
	fields       map[string]string
	line         int
}

// readDMD streams a dm+d XML file's records of interest to fn. Malformed
// XML, a record without its id field or a field holding markup is a
// *LineError with the file and line.
func readDMD(name string, r io.Reader, want map[string]bool, fn func(dmdRecord) error) error {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		// NHSBSA declares UTF-8; older files said ISO-8859-1 for ASCII content.
		return in, nil
	}
	var stack []string
	var cur *dmdRecord
	var field string
	var text strings.Builder
	seenRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			return &LineError{name, line, "malformed XML: " + strings.TrimPrefix(err.Error(), "XML syntax error on line "+fmt.Sprint(line)+": ")}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			seenRoot = true
			switch {
			case cur == nil && want[t.Name.Local]:
				parent := ""
				if len(stack) > 0 {
					parent = stack[len(stack)-1]
				}
				cur = &dmdRecord{name: t.Name.Local, parent: parent, fields: map[string]string{}, line: line}
			case cur != nil && field == "":
				field = t.Name.Local
				text.Reset()
			case cur != nil:
				return &LineError{name, line, fmt.Sprintf("unexpected element <%s> inside the field <%s> of <%s>", t.Name.Local, field, cur.name)}
			}
			stack = append(stack, t.Name.Local)
		case xml.CharData:
			if field != "" {
				text.Write(t)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch {
			case cur != nil && field == t.Name.Local:
				cur.fields[field] = strings.TrimSpace(text.String())
				field = ""
			case cur != nil && cur.name == t.Name.Local:
				if err := fn(*cur); err != nil {
					return err
				}
				cur = nil
			}
		}
	}
	if !seenRoot {
		return &LineError{name, 1, "empty file (no XML)"}
	}
	if len(stack) > 0 {
		line, _ := dec.InputPos()
		return &LineError{name, line, "truncated: <" + stack[len(stack)-1] + "> is not closed"}
	}
	return nil
}

// dmdConcept is a product being assembled from its file's records.
type dmdConcept struct {
	c     store.TermConcept
	abbr  string
	props map[string]any
	rels  []store.TermRelationship
}

// LoadDMD loads a dm+d XML release (a folder, or a zip, of the f_*.xml
// files) as the current dm+d release, with the same guarantees as
// LoadRF2: streamed, refused with file:line when malformed, nothing
// changed on failure, nothing done when the same release is current.
func LoadDMD(ctx context.Context, st store.Terminology, p string, opt LoadOptions) (store.TermRelease, error) {
	files, closeFn, err := rf2Source(p)
	if err != nil {
		return store.TermRelease{}, err
	}
	defer closeFn()
	byKind := map[string]rf2File{}
	var names []string
	for _, f := range files {
		base := path.Base(filepath.ToSlash(f.name))
		if i := strings.LastIndexByte(base, '!'); i >= 0 {
			base = base[i+1:]
		}
		base = path.Base(base)
		for _, k := range dmdFiles {
			if k.pattern.MatchString(base) {
				if prev, ok := byKind[k.kind]; ok {
					return store.TermRelease{}, fmt.Errorf("%s: two %s files (%s and %s)", p, k.kind, prev.name, f.name)
				}
				byKind[k.kind] = f
				names = append(names, strings.TrimSuffix(base, ".xml"))
			}
		}
	}
	for _, k := range dmdFiles {
		if _, ok := byKind[k.kind]; !ok {
			return store.TermRelease{}, fmt.Errorf("%s: no dm+d %s file (f_%s2_*.xml)", p, k.kind, k.kind)
		}
	}
	sort.Strings(names)
	version := strings.Join(names, " + ")
	if !opt.Force {
		if cur, ok, err := currentRelease(ctx, st, SourceDMD); err != nil {
			return store.TermRelease{}, err
		} else if ok && cur.Version == version {
			return cur, ErrAlreadyLoaded
		}
	}
	read := func(kind string, fn func(dmdRecord) error) error {
		f := byKind[kind]
		opt.progress("reading %s", f.name)
		rc, err := f.open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return readDMD(f.name, rc, dmdRecords[kind], fn)
	}
	need := func(file string, r dmdRecord, fields ...string) error {
		for _, f := range fields {
			if r.fields[f] == "" {
				return &LineError{file, r.line, fmt.Sprintf("<%s> without <%s>", r.name, f)}
			}
		}
		return nil
	}
	return loadRelease(ctx, st, SourceDMD, version, func(w store.ReleaseWriter) error {
		// Lookups: table -> code -> description.
		lookup := map[string]map[string]string{}
		if err := read("lookup", func(r dmdRecord) error {
			if err := need(byKind["lookup"].name, r, "CD"); err != nil {
				return err
			}
			if lookup[r.parent] == nil {
				lookup[r.parent] = map[string]string{}
			}
			lookup[r.parent][r.fields["CD"]] = r.fields["DESC"]
			return nil
		}); err != nil {
			return err
		}
		look := func(table, code string) string {
			if code == "" {
				return ""
			}
			if d := lookup[table][code]; d != "" {
				return d
			}
			return code
		}
		products := map[string]*dmdConcept{}
		var order []string
		add := func(kind, code, name, abbr string, invalid bool) *dmdConcept {
			d := &dmdConcept{c: store.TermConcept{System: DMD, Code: code, Active: !invalid, Kind: kind, Display: name}, abbr: abbr, props: map[string]any{}}
			if _, dup := products[code]; !dup {
				order = append(order, code)
			}
			products[code] = d
			return d
		}
		isA := func(d *dmdConcept, parent string) {
			if parent != "" {
				d.rels = append(d.rels, store.TermRelationship{System: DMD, Source: d.c.Code, Type: store.IsA, Dest: parent})
			}
		}
		rel := func(d *dmdConcept, typ, dest string) {
			if dest != "" {
				d.rels = append(d.rels, store.TermRelationship{System: DMD, Source: d.c.Code, Type: typ, Dest: dest})
			}
		}
		set := func(d *dmdConcept, key, v string) {
			if v != "" {
				d.props[key] = v
			}
		}
		appendProp := func(d *dmdConcept, key, v string) {
			l, _ := d.props[key].([]string)
			d.props[key] = append(l, v)
		}
		if err := read("vtm", func(r dmdRecord) error {
			if err := need(byKind["vtm"].name, r, "VTMID", "NM"); err != nil {
				return err
			}
			add("VTM", r.fields["VTMID"], r.fields["NM"], r.fields["ABBREVNM"], r.fields["INVALID"] == "1")
			return nil
		}); err != nil {
			return err
		}
		vmpFile := byKind["vmp"].name
		if err := read("vmp", func(r dmdRecord) error {
			if err := need(vmpFile, r, "VPID"); err != nil {
				return err
			}
			vpid := r.fields["VPID"]
			if r.name == "VMP" {
				if err := need(vmpFile, r, "NM"); err != nil {
					return err
				}
				d := add("VMP", vpid, r.fields["NM"], r.fields["ABBREVNM"], r.fields["INVALID"] == "1")
				isA(d, r.fields["VTMID"])
				set(d, "prescribingStatus", look("VIRTUAL_PRODUCT_PRES_STATUS", r.fields["PRES_STATCD"]))
				set(d, "nonAvailability", look("VIRTUAL_PRODUCT_NON_AVAIL", r.fields["NON_AVAILCD"]))
				set(d, "nonAvailabilityDate", r.fields["NON_AVAILDT"])
				set(d, "unitDoseUnit", look("UNIT_OF_MEASURE", r.fields["UNIT_DOSE_UOMCD"]))
				set(d, "basisOfName", look("BASIS_OF_NAME", r.fields["BASISCD"]))
				if r.fields["SUG_F"] == "1" {
					d.props["sugarFree"] = true
				}
				return nil
			}
			d := products[vpid]
			if d == nil {
				return &LineError{vmpFile, r.line, fmt.Sprintf("<%s> of VPID %s, which no <VMP> holds", r.name, vpid)}
			}
			switch r.name {
			case "VPI":
				s := r.fields["ISID"]
				if v := r.fields["STRNT_NMRTR_VAL"]; v != "" {
					s += " " + v + look("UNIT_OF_MEASURE", r.fields["STRNT_NMRTR_UOMCD"])
					if dv := r.fields["STRNT_DNMTR_VAL"]; dv != "" {
						s += "/" + dv + look("UNIT_OF_MEASURE", r.fields["STRNT_DNMTR_UOMCD"])
					}
				}
				appendProp(d, "ingredient", s)
				rel(d, "ingredient", r.fields["ISID"])
			case "DFORM":
				set(d, "form", look("FORM", r.fields["FORMCD"]))
			case "DROUTE":
				appendProp(d, "route", look("ROUTE", r.fields["ROUTECD"]))
			case "CONTROL_INFO":
				set(d, "controlledDrugCategory", look("CONTROL_DRUG_CATEGORY", r.fields["CATCD"]))
			}
			return nil
		}); err != nil {
			return err
		}
		if err := read("amp", func(r dmdRecord) error {
			if err := need(byKind["amp"].name, r, "APID", "VPID", "NM"); err != nil {
				return err
			}
			name := r.fields["DESC"]
			if name == "" {
				name = r.fields["NM"]
			}
			d := add("AMP", r.fields["APID"], name, r.fields["ABBREVNM"], r.fields["INVALID"] == "1")
			isA(d, r.fields["VPID"])
			set(d, "supplier", r.fields["SUPPCD"])
			set(d, "availabilityRestriction", look("AVAILABILITY_RESTRICTION", r.fields["AVAIL_RESTRICTCD"]))
			set(d, "licensingAuthority", look("LICENSING_AUTHORITY", r.fields["LIC_AUTHCD"]))
			return nil
		}); err != nil {
			return err
		}
		vmppFile := byKind["vmpp"].name
		if err := read("vmpp", func(r dmdRecord) error {
			if err := need(vmppFile, r, "VPPID"); err != nil {
				return err
			}
			if r.name == "VMPP" {
				if err := need(vmppFile, r, "NM", "VPID"); err != nil {
					return err
				}
				d := add("VMPP", r.fields["VPPID"], r.fields["NM"], "", r.fields["INVALID"] == "1")
				rel(d, "VPID", r.fields["VPID"])
				set(d, "quantity", strings.TrimSpace(r.fields["QTYVAL"]+" "+look("UNIT_OF_MEASURE", r.fields["QTY_UOMCD"])))
				return nil
			}
			d := products[r.fields["VPPID"]]
			if d == nil {
				return &LineError{vmppFile, r.line, fmt.Sprintf("<DTINFO> of VPPID %s, which no <VMPP> holds", r.fields["VPPID"])}
			}
			set(d, "drugTariffCategory", look("DT_PAYMENT_CATEGORY", r.fields["PAY_CATCD"]))
			set(d, "drugTariffPrice", r.fields["PRICE"])
			return nil
		}); err != nil {
			return err
		}
		amppFile := byKind["ampp"].name
		if err := read("ampp", func(r dmdRecord) error {
			if err := need(amppFile, r, "APPID"); err != nil {
				return err
			}
			if r.name == "AMPP" {
				if err := need(amppFile, r, "NM", "APID", "VPPID"); err != nil {
					return err
				}
				d := add("AMPP", r.fields["APPID"], r.fields["NM"], r.fields["ABBREVNM"], r.fields["INVALID"] == "1")
				rel(d, "APID", r.fields["APID"])
				rel(d, "VPPID", r.fields["VPPID"])
				set(d, "legalCategory", look("LEGAL_CATEGORY", r.fields["LEGAL_CATCD"]))
				set(d, "discontinued", look("DISCONTINUED_IND", r.fields["DISCCD"]))
				return nil
			}
			d := products[r.fields["APPID"]]
			if d == nil {
				return &LineError{amppFile, r.line, fmt.Sprintf("<PRESC_INFO> of APPID %s, which no <AMPP> holds", r.fields["APPID"])}
			}
			for field, name := range map[string]string{"SCHED_1": "schedule1NotPrescribable", "SCHED_2": "schedule2SelectedList",
				"ACBS": "acbs", "PADM": "personallyAdministered", "FP10_MDA": "fp10mda", "HOSP": "hospitalOnly",
				"NURSE_F": "nurseFormulary", "ENURSE_F": "extendedNurseFormulary", "DENT_F": "dentalFormulary"} {
				if r.fields[field] == "1" {
					d.props[name] = true
				}
			}
			return nil
		}); err != nil {
			return err
		}
		// The Nurse Prescribers' Formulary and personally administered
		// (PADM) flags are a pack's (AMPP): its AMP and VMP carry them
		// too, for the prescriber-type rule and for the FP34D claim of an
		// item given at the practice (recorded by product, not by pack).
		for _, code := range order {
			d := products[code]
			if d.c.Kind != "AMPP" {
				continue
			}
			for _, flag := range []string{"nurseFormulary", "personallyAdministered"} {
				if d.props[flag] != true {
					continue
				}
				for _, r := range d.rels {
					if amp := products[r.Dest]; r.Type == "APID" && amp != nil {
						amp.props[flag] = true
						for _, ar := range amp.rels {
							if vmp := products[ar.Dest]; ar.Type == store.IsA && vmp != nil {
								vmp.props[flag] = true
							}
						}
					}
				}
			}
		}
		// The Drug Tariff's blacklist and SLS flags likewise (dmd_tariff.go).
		propagateTariff(products, order)
		// Write concepts, descriptions and relationships, in batches.
		batch := opt.Batch
		if batch <= 0 {
			batch = 5000
		}
		var cs []store.TermConcept
		var ds []store.TermDescription
		var rs []store.TermRelationship
		flush := func(force bool) error {
			if len(cs) < batch && !force {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			err := errors.Join(w.AddConcepts(ctx, cs), w.AddDescriptions(ctx, ds), w.AddRelationships(ctx, rs))
			cs, ds, rs = cs[:0], ds[:0], rs[:0]
			return err
		}
		for i, code := range order {
			d := products[code]
			if len(d.props) > 0 {
				b, err := json.Marshal(d.props)
				if err != nil {
					return err
				}
				d.c.Props = string(b)
			}
			cs = append(cs, d.c)
			ds = append(ds, store.TermDescription{ID: "dmd:" + code, System: DMD, Code: code, Term: d.c.Display, Type: store.DescPreferred, Lang: "en", Active: true})
			if d.abbr != "" && d.abbr != d.c.Display {
				ds = append(ds, store.TermDescription{ID: "dmd:" + code + ":abbr", System: DMD, Code: code, Term: d.abbr, Type: store.DescSynonym, Lang: "en", Active: true})
			}
			rs = append(rs, d.rels...)
			if err := flush(false); err != nil {
				return err
			}
			if (i+1)%50000 == 0 {
				opt.progress("%d products", i+1)
			}
		}
		if err := flush(true); err != nil {
			return err
		}
		opt.progress("%d products; making the release current", len(order))
		return nil
	})
}
