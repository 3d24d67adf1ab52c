package gpconnect

import (
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The HTML views of Access Record HTML, built from the STU3 resources the
// structured record's readers put in the Bundle. Layout (the
// specification's "HTML layout guide"): an h1 section title, the content
// banner, then per (sub)section an h2 title, its date banner, the
// exclusion banner when confidential entries were withheld, and its table
// (or the "no data" paragraph in its place). html/template escapes every
// value taken from the record.

// careView renders one requested section.
type careView struct {
	req          *CareRecordRequest
	b            *structuredBundle
	withheld     map[string]int // confidential entries met, by R4 type
	registration fhir.Resource
	patientID    string
	practice     string // the practice's name
	today        string // YYYY-MM-DD in London
}

type careSub struct {
	Title     string // "" for a single-table section
	Content   string // subsection content banner
	Date      string // date banner ("" for none)
	Exclusion bool
	TableID   string
	Head      []string
	Rows      [][][]string // row, cell, lines
	Empty     []string     // paragraphs in place of the table
}

type careHTML struct {
	Title   string
	Content string
	Subs    []careSub
	Single  bool
}

var careTemplate = template.Must(template.New("care").Parse(
	`<div xmlns="http://www.w3.org/1999/xhtml"><h1>{{.Title}}</h1>` +
		`{{if .Content}}<div class="content-banner"><p>{{.Content}}</p></div>{{end}}` +
		`{{range .Subs}}{{if $.Single}}{{template "sub" .}}{{else}}<div><h2>{{.Title}}</h2>{{template "sub" .}}</div>{{end}}{{end}}</div>` +
		`{{define "sub"}}{{if .Content}}<div class="content-banner"><p>{{.Content}}</p></div>{{end}}` +
		`{{if .Date}}<div class="date-banner"><p>{{.Date}}</p></div>{{end}}` +
		`{{if .Exclusion}}<div class="exclusion-banner"><p>Items excluded due to confidentiality and/or patient preferences</p></div>{{end}}` +
		`{{if .Empty}}<div>{{range .Empty}}<p>{{.}}</p>{{end}}</div>{{else}}<table id="{{.TableID}}"><thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>` +
		`<tbody>{{range .Rows}}<tr>{{range .}}<td>{{range $i, $l := .}}{{if $i}}<br/>{{end}}{{$l}}{{end}}</td>{{end}}</tr>{{end}}</tbody></table>{{end}}{{end}}`))

func (v careView) render() (string, error) {
	h := careHTML{Title: careSections[v.req.Section].title}
	switch v.req.Section {
	case "SUM":
		enc := v.encounters()
		enc.Title, enc.Date = "Last 3 Encounters", ""
		probs := v.problems()
		allergies := v.allergies()
		meds := v.medications()
		h.Subs = []careSub{enc, probs[0], probs[1], allergies[0], meds[0], meds[1]}
		for i := range h.Subs {
			h.Subs[i].Date = "" // the Summary takes no date filter
		}
	case "PRB":
		h.Subs = v.problems()
	case "ALL":
		h.Subs = v.allergies()
	case "MED":
		h.Subs = v.medications()
	case "ENC":
		h.Subs, h.Single = []careSub{v.encounters()}, true
	case "CLI":
		h.Subs, h.Single = []careSub{v.observations(false)}, true
	case "OBS":
		h.Subs, h.Single = []careSub{v.observations(true)}, true
	case "IMM":
		h.Subs, h.Single = []careSub{v.immunisations()}, true
	case "REF":
		h.Subs, h.Single = []careSub{v.referrals()}, true
	case "ADM":
		h.Subs, h.Single = []careSub{v.administrative()}, true
	}
	for i := range h.Subs {
		if len(h.Subs[i].Rows) == 0 && h.Subs[i].Empty == nil {
			title := h.Subs[i].Title
			if title == "" {
				title = h.Title
			}
			h.Subs[i].Empty = []string{"No '" + title + "' data is recorded for this patient."}
		}
	}
	var sb strings.Builder
	if err := careTemplate.Execute(&sb, h); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// dateBanner is the banner of a (sub)section: filtered says whether the
// consumer's period applies to it ("Date filter not applied" when a
// period was given for one that returns everything).
func (v careView) dateBanner(filtered bool) string {
	from, to := v.req.From, v.req.To
	switch {
	case from == "" && to == "":
		return "All relevant items"
	case !filtered:
		return "Date filter not applied"
	case from != "" && to != "":
		return "For the period '" + dmy(from) + "' to '" + dmy(to) + "'"
	case from != "":
		return "Data items from " + dmy(from)
	}
	return "Data items until " + dmy(to)
}

// inPeriod reports whether a day is inside the consumer's period.
func (v careView) inPeriod(when string) bool {
	d := day(when)
	return (v.req.From == "" || d >= v.req.From) && (v.req.To == "" || d <= v.req.To)
}

// dmy is a date as the views show it: dd-Mmm-yyyy.
func dmy(s string) string {
	t, err := time.Parse("2006-01-02", day(s))
	if err != nil {
		return s
	}
	return t.Format("02-Jan-2006")
}

// listed returns the resources the area's List names, in its order.
func (v careView) listed(area string) []fhir.Resource {
	l := v.b.resource("List", area+"-"+v.patientID)
	var out []fhir.Resource
	for _, e := range list(l["entry"]) {
		typ, id, _ := strings.Cut(str(obj(obj(e)["item"])["reference"]), "/")
		if r := v.b.resource(typ, id); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// text is a CodeableConcept's words: its text, else its first display.
func text(v any) string {
	cc := obj(v)
	if t := str(cc["text"]); t != "" {
		return t
	}
	for _, c := range list(cc["coding"]) {
		if d := str(obj(c)["display"]); d != "" {
			return d
		}
	}
	return firstCode(cc)
}

func notes(r fhir.Resource) []string {
	var out []string
	for _, n := range list(r["note"]) {
		if t := str(obj(n)["text"]); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func excluded(withheld map[string]int, types ...string) bool {
	for _, t := range types {
		if withheld[t] > 0 {
			return true
		}
	}
	return false
}

// sortRows orders rows by the date in column col, newest first.
func sortRows(rows [][][]string, keys []string) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] > keys[idx[b]] })
	sorted := make([][][]string, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

// table gathers rows with their sort keys.
type table struct {
	rows [][][]string
	keys []string
}

func (t *table) add(key string, cells ...[]string) {
	t.rows, t.keys = append(t.rows, cells), append(t.keys, key)
}

func (t *table) sorted() [][][]string {
	sortRows(t.rows, t.keys)
	return t.rows
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (v careView) problems() []careSub {
	var active, major, other table
	for _, m := range v.listed("problems") {
		start := str(m["onsetDateTime"])
		if start == "" {
			start = str(obj(m["onsetPeriod"])["start"])
		}
		if start == "" {
			start = str(m["assertedDate"])
		}
		end := str(m["abatementDateTime"])
		if end == "" {
			end = str(obj(m["abatementPeriod"])["end"])
		}
		signif := str(extValue(m, problemSignifExtURL, "valueCode"))
		significance := map[string]string{"major": "Major", "minor": "Minor"}[signif]
		entry, details := one(text(m["code"])), notes(m)
		switch {
		case str(m["clinicalStatus"]) == "active":
			active.add(day(start), one(dmy(start)), entry, one(significance), details)
		case !v.inPeriod(start):
		case signif == "major":
			major.add(day(end), one(dmy(start)), one(dmy(end)), entry, one(significance), details)
		default:
			other.add(day(end), one(dmy(start)), one(dmy(end)), entry, one(significance), details)
		}
	}
	ex := excluded(v.withheld, "Condition")
	return []careSub{
		{Title: "Active Problems and Issues", Date: v.dateBanner(false), Exclusion: ex, TableID: "prb-tab-act",
			Head: []string{"Start Date", "Entry", "Significance", "Details"}, Rows: active.sorted()},
		{Title: "Major Inactive Problems and Issues", Date: v.dateBanner(true), Exclusion: ex, TableID: "prb-tab-majinact",
			Head: []string{"Start Date", "End Date", "Entry", "Significance", "Details"}, Rows: major.sorted()},
		{Title: "Other Inactive Problems and Issues", Date: v.dateBanner(true), Exclusion: ex, TableID: "prb-tab-othinact",
			Head: []string{"Start Date", "End Date", "Entry", "Significance", "Details"}, Rows: other.sorted()},
	}
}

func allergyDetails(a fhir.Resource) []string {
	lines := one(text(a["code"]))
	for _, rx := range list(a["reaction"]) {
		var ms []string
		for _, m := range list(obj(rx)["manifestation"]) {
			ms = append(ms, text(m))
		}
		if len(ms) > 0 {
			lines = append(lines, "Reaction: "+strings.Join(ms, ", "))
		}
	}
	return append(lines, notes(a)...)
}

func (v careView) allergies() []careSub {
	var current, historical table
	start := func(a fhir.Resource) string {
		if s := str(a["onsetDateTime"]); s != "" {
			return s
		}
		return str(a["assertedDate"])
	}
	for _, a := range v.listed("allergies") {
		current.add(day(start(a)), one(dmy(start(a))), allergyDetails(a))
	}
	for _, a := range v.listed("endedAllergies") {
		end := ""
		for _, e := range list(obj(extOf(a, allergyEndExtURL))["extension"]) {
			if str(obj(e)["url"]) == "endDate" {
				end = str(obj(e)["valueDateTime"])
			}
		}
		historical.add(day(end), one(dmy(start(a))), one(dmy(end)), allergyDetails(a))
	}
	ex := excluded(v.withheld, "AllergyIntolerance")
	return []careSub{
		{Title: "Current Allergies and Adverse Reactions", Exclusion: ex, TableID: "all-tab-curr",
			Head: []string{"Start Date", "Details"}, Rows: current.sorted()},
		{Title: "Historical Allergies and Adverse Reactions", Exclusion: ex, TableID: "all-tab-hist",
			Head: []string{"Start Date", "End Date", "Details"}, Rows: historical.sorted()},
	}
}

// extOf is the extension with url, nil if absent.
func extOf(r map[string]any, url string) map[string]any {
	for _, e := range list(r["extension"]) {
		if str(obj(e)["url"]) == url {
			return obj(e)
		}
	}
	return nil
}

// subExt is a complex extension's part value.
func subExt(ext map[string]any, url, key string) any {
	for _, e := range list(ext["extension"]) {
		if str(obj(e)["url"]) == url {
			return obj(e)[key]
		}
	}
	return nil
}

// medRow is what the medication tables show of one course.
type medRow struct {
	kind, start, end, item, dosage, quantity, lastIssued, issued, maxIssues, review, stopped, reason, days string
	repeat, active, ended                                                                                  bool
	additional                                                                                             []string
}

func quantityText(dr map[string]any) string {
	q := obj(dr["quantity"])
	if q == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(q["value"]) + " " + str(q["unit"]))
}

func daysText(dr map[string]any) string {
	d := obj(dr["expectedSupplyDuration"])
	if d == nil {
		return ""
	}
	return fmt.Sprint(d["value"])
}

func (v careView) medRow(stmt fhir.Resource) (medRow, fhir.Resource) {
	planID := strings.TrimPrefix(str(obj(list(stmt["basedOn"])[0])["reference"]), "MedicationRequest/")
	plan := v.b.resource("MedicationRequest", planID)
	med := v.b.resource("Medication", strings.TrimPrefix(str(obj(stmt["medicationReference"])["reference"]), "Medication/"))
	period := obj(stmt["effectivePeriod"])
	ptype := firstCode(extValue(plan, prescriptionTypeURL, "valueCodeableConcept"))
	r := medRow{kind: text(extValue(plan, prescriptionTypeURL, "valueCodeableConcept")), start: str(period["start"]), end: str(period["end"]),
		item: text(med["code"]), repeat: ptype == "repeat" || ptype == "repeat-dispensing",
		active: str(stmt["status"]) == "active", ended: str(stmt["status"]) == "stopped"}
	if agency := firstCode(extValue(stmt, prescribingAgencyURL, "valueCodeableConcept")); agency != "" && agency != "prescribed-at-gp-practice" {
		// Prescribed elsewhere: the type with the agency, as the view asks.
		if r.kind == "" || r.kind == noInformation {
			r.kind = "Prescribed elsewhere"
		} else {
			r.kind += " - Prescribed elsewhere"
		}
	}
	if ds := list(stmt["dosage"]); len(ds) > 0 {
		r.dosage = str(obj(ds[0])["text"])
	}
	dr := obj(plan["dispenseRequest"])
	r.quantity, r.days = quantityText(dr), daysText(dr)
	r.lastIssued = str(extValue(stmt, lastIssueDateURL, "valueDateTime"))
	if ri := extOf(plan, repeatInformationURL); ri != nil {
		if n := subExt(ri, "numberOfRepeatPrescriptionsIssued", "valuePositiveInt"); n != nil {
			r.issued = fmt.Sprint(n)
		}
		if n := subExt(ri, "numberOfRepeatPrescriptionsAllowed", "valuePositiveInt"); n != nil {
			r.maxIssues = fmt.Sprint(n)
		}
		r.review = str(subExt(ri, "authorisationExpiryDate", "valueDateTime"))
	}
	if sr := extOf(plan, medStatusReasonURL); sr != nil {
		r.stopped = str(subExt(sr, "statusChangeDate", "valueDateTime"))
		r.reason = text(subExt(sr, "statusReason", "valueCodeableConcept"))
	}
	r.additional = notes(stmt)
	return r, plan
}

func (v careView) medications() []careSub {
	var acute, repeat, discontinued, all, issues table
	yearAgo := day(v.today)
	if t, err := time.Parse("2006-01-02", v.today); err == nil {
		yearAgo = t.AddDate(-1, 0, 0).Format("2006-01-02")
	}
	for _, stmt := range v.listed("medications") {
		r, plan := v.medRow(stmt)
		switch {
		case !r.repeat && day(r.start) >= yearAgo:
			acute.add(day(r.start), one(r.kind), one(dmy(r.start)), one(r.item), one(r.dosage), one(r.quantity), one(dmy(scheduledEnd(r))), one(r.days), r.additional)
		case r.repeat && r.active:
			repeat.add(day(r.start), one(r.kind), one(dmy(r.start)), one(r.item), one(r.dosage), one(r.quantity), one(dmy(r.lastIssued)),
				one(r.issued), one(r.maxIssues), one(dmy(r.review)), r.additional)
		case r.repeat && r.ended:
			discontinued.add(day(r.lastIssued), one(r.kind), one(dmy(r.lastIssued)), one(r.item), one(r.dosage), one(r.quantity),
				one(dmy(r.stopped)), one(r.reason), r.additional)
		}
		if v.inPeriod(r.start) {
			var disc []string
			if r.ended {
				disc = one("Discontinued " + dmy(r.stopped) + ": " + r.reason)
			}
			// Sorted by item, then newest first within it.
			all.add(invert(strings.ToLower(r.item))+"|"+day(r.start), one(r.kind), one(dmy(r.start)), one(r.item), one(r.dosage), one(r.quantity),
				one(dmy(r.lastIssued)), one(r.issued), disc, r.additional)
		}
		for _, e := range v.b.entries {
			o, _ := obj(e)["resource"].(fhir.Resource)
			if o.Type() != "MedicationRequest" || str(o["intent"]) != "order" || basedOnRequest(o) != plan.ID() {
				continue
			}
			when := str(o["authoredOn"])
			if !v.inPeriod(when) {
				continue
			}
			dosage := r.dosage
			if ds := list(o["dosageInstruction"]); len(ds) > 0 && str(obj(ds[0])["text"]) != "" {
				dosage = str(obj(ds[0])["text"])
			}
			dr := obj(o["dispenseRequest"])
			issues.add(invert(strings.ToLower(r.item))+"|"+day(when), one(r.kind), one(dmy(when)), one(r.item), one(dosage),
				one(quantityText(dr)), one(daysText(dr)), notes(o))
		}
	}
	ex := excluded(v.withheld, "MedicationRequest", "MedicationStatement")
	return []careSub{
		{Title: "Acute Medication (Last 12 Months)", Date: v.dateBanner(false), Exclusion: ex, TableID: "med-tab-acu-med",
			Content: "Scheduled End Date is not always captured in the source; where it was not recorded, the displayed date is calculated from start date and days duration",
			Head:    []string{"Type", "Start Date", "Medication Item", "Dosage Instruction", "Quantity", "Scheduled End Date", "Days Duration", "Additional Information"},
			Rows:    acute.sorted()},
		{Title: "Current Repeat Medication", Date: v.dateBanner(false), Exclusion: ex, TableID: "med-tab-curr-rep",
			Content: "The Review Date is that set for each Repeat Course. Reviews may be conducted according to a diary event which differs from the dates shown",
			Head:    []string{"Type", "Start Date", "Medication Item", "Dosage Instruction", "Quantity", "Last Issued Date", "Number of Prescriptions Issued", "Max Issues", "Review Date", "Additional Information"},
			Rows:    repeat.sorted()},
		{Title: "Discontinued Repeat Medication", Date: v.dateBanner(false), Exclusion: ex, TableID: "med-tab-dis-rep",
			Head: []string{"Type", "Last Issued Date", "Medication Item", "Dosage Instruction", "Quantity", "Discontinued Date", "Discontinuation Reason", "Additional Information"},
			Rows: discontinued.sorted()},
		{Title: "All Medication", Date: v.dateBanner(true), Exclusion: ex, TableID: "med-tab-all-sum",
			Head: []string{"Type", "Start Date", "Medication Item", "Dosage Instruction", "Quantity", "Last Issued Date", "Number of Prescriptions Issued", "Discontinuation Details", "Additional Information"},
			Rows: all.sorted()},
		{Title: "All Medication Issues", Date: v.dateBanner(true), Exclusion: ex, TableID: "med-tab-all-iss",
			Head: []string{"Type", "Issue Date", "Medication Item", "Dosage Instruction", "Quantity", "Days Duration", "Additional Information"},
			Rows: issues.sorted()},
	}
}

// scheduledEnd is when an acute course is expected to end: the record
// keeps no scheduled end of its own, so it is the start plus the days'
// supply (the view's content banner says so); none without a duration.
func scheduledEnd(r medRow) string {
	start, err := time.Parse("2006-01-02", day(r.start))
	n, nerr := strconv.Atoi(r.days)
	if err != nil || nerr != nil || n <= 0 {
		return ""
	}
	return start.AddDate(0, 0, n).Format("2006-01-02")
}

// invert makes a descending sort of keys sort s ascending (the
// medication item is ascending, its dates descending).
func invert(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = 255 - b[i]
	}
	return string(b)
}

// name is a Practitioner's name as the tables show it.
func name(p fhir.Resource) string {
	n := obj(firstOf(p["name"]))
	if t := str(n["text"]); t != "" {
		return t
	}
	var parts []string
	for _, k := range []string{"prefix", "given"} {
		for _, s := range list(n[k]) {
			parts = append(parts, str(s))
		}
	}
	if f := str(n["family"]); f != "" {
		parts = append(parts, f)
	}
	return strings.Join(parts, " ")
}

// observationText is an entry's words: its code, value and comment.
func observationText(o fhir.Resource) (entry, value, rng string, details []string) {
	entry = text(o["code"])
	switch {
	case o["valueQuantity"] != nil:
		q := obj(o["valueQuantity"])
		value = strings.TrimSpace(fmt.Sprint(q["value"]) + " " + str(q["unit"]))
	case o["valueString"] != nil:
		value = str(o["valueString"])
	case o["valueCodeableConcept"] != nil:
		value = text(o["valueCodeableConcept"])
	}
	if rr := obj(firstOf(o["referenceRange"])); rr != nil {
		if t := str(rr["text"]); t != "" {
			rng = t
		} else {
			lo, hi := obj(rr["low"]), obj(rr["high"])
			if lo != nil || hi != nil {
				rng = strings.TrimSpace(fmt.Sprintf("%v - %v %s", orBlank(lo["value"]), orBlank(hi["value"]), str(hi["unit"])))
			}
		}
	}
	if c := str(o["comment"]); c != "" {
		details = strings.Split(c, "\n")
	}
	return
}

func orBlank(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func observationDate(o fhir.Resource) string {
	if d := str(o["effectiveDateTime"]); d != "" {
		return d
	}
	return str(obj(o["effectivePeriod"])["start"])
}

// observations is the Clinical Items view (every coded entry, values in
// its details) or, withValues, the Observations view (entries that carry
// a value).
func (v careView) observations(withValues bool) careSub {
	var t table
	for _, o := range v.listed("uncategorised") {
		entry, value, rng, details := observationText(o)
		when := observationDate(o)
		if withValues {
			if value == "" {
				continue
			}
			t.add(day(when), one(dmy(when)), one(entry), one(value), one(rng), details)
			continue
		}
		lines := details
		if value != "" {
			extra := "Value: " + value
			if rng != "" {
				extra += " (range " + rng + ")"
			}
			lines = append([]string{extra}, lines...)
		}
		t.add(day(when), one(dmy(when)), one(entry), lines)
	}
	if withValues {
		return careSub{Title: "Observations", Date: v.dateBanner(true), Exclusion: excluded(v.withheld, "Observation"), TableID: "obs-tab",
			Head: []string{"Date", "Entry", "Value", "Range", "Details"}, Rows: t.sorted()}
	}
	return careSub{Title: "Clinical Items", Date: v.dateBanner(true), Exclusion: excluded(v.withheld, "Observation"), TableID: "cli-tab",
		Head: []string{"Date", "Entry", "Details"}, Rows: t.sorted()}
}

func (v careView) immunisations() careSub {
	var t table
	for _, im := range v.listed("immunisations") {
		when := str(im["date"])
		part := ""
		if vp := obj(firstOf(im["vaccinationProtocol"])); vp != nil {
			part = orBlank(vp["doseSequence"])
		}
		details := notes(im)
		if b, _ := im["notGiven"].(bool); b {
			reason := ""
			if rs := list(obj(im["explanation"])["reasonNotGiven"]); len(rs) > 0 {
				reason = ": " + text(rs[0])
			}
			details = append([]string{"Not given" + reason}, details...)
		}
		contents := str(im["lotNumber"])
		if contents != "" {
			contents = "Batch " + contents
		}
		t.add(day(when), one(dmy(when)), one(text(im["vaccineCode"])), one(part), one(contents), details)
	}
	return careSub{Title: "Immunisations", Exclusion: excluded(v.withheld, "Immunization"), TableID: "imm-tab",
		Head: []string{"Date", "Vaccination", "Part", "Contents", "Details"}, Rows: t.sorted()}
}

// referrals: each outbound referral in the period, newest first, with
// who referred, to whom (gpcloud keeps the recipient by name, in the
// note), its priority and reasons.
func (v careView) referrals() careSub {
	var t table
	for _, rr := range v.listed("referrals") {
		when := str(rr["authoredOn"])
		from := ""
		if id, ok := strings.CutPrefix(str(obj(obj(rr["requester"])["agent"])["reference"]), "Practitioner/"); ok {
			if pr := v.b.resource("Practitioner", id); pr != nil {
				from = name(pr)
			}
		}
		var reasons, to []string
		for _, rc := range list(rr["reasonCode"]) {
			if t := text(rc); t != "" {
				reasons = append(reasons, t)
			}
		}
		for _, n := range list(rr["note"]) {
			if t := str(obj(n)["text"]); t != "" {
				to = append(to, t)
			}
		}
		t.add(day(when), one(dmy(when)), one(from), to, one(str(rr["priority"])), reasons)
	}
	return careSub{Title: "Referrals", Date: v.dateBanner(true), Exclusion: excluded(v.withheld, "ServiceRequest"), TableID: "ref-tab",
		Head: []string{"Date", "From", "To", "Priority", "Details"}, Rows: t.sorted()}
}

// encounters: each consultation, newest first, titled by who saw the
// patient and where, its details the topics and headings it recorded.
func (v careView) encounters() careSub {
	var t table
	for _, enc := range v.listed("consultations") {
		when := str(obj(enc["period"])["start"])
		var who []string
		for _, pt := range list(enc["participant"]) {
			id := strings.TrimPrefix(str(obj(obj(pt)["individual"])["reference"]), "Practitioner/")
			if pr := v.b.resource("Practitioner", id); pr != nil {
				who = append(who, name(pr))
			}
		}
		title := strings.Join(append(who, v.practice), ", ")
		t.add(when, one(dmy(when)), one(strings.Trim(title, ", ")), v.consultationDetails(enc))
	}
	return careSub{Title: "Encounters", Date: v.dateBanner(true), Exclusion: excluded(v.withheld, "Composition", "Observation"), TableID: "enc-tab",
		Head: []string{"Date", "Title", "Details"}, Rows: t.sorted()}
}

// consultationDetails walks the consultation's List (topics, headings,
// entries) as the structured record built it.
func (v careView) consultationDetails(enc fhir.Resource) []string {
	var lines []string
	var walk func(l fhir.Resource, label string)
	walk = func(l fhir.Resource, label string) {
		for _, e := range list(l["entry"]) {
			typ, id, _ := strings.Cut(str(obj(obj(e)["item"])["reference"]), "/")
			r := v.b.resource(typ, id)
			switch typ {
			case "List":
				if firstCode(r["code"]) == topicListCode {
					if t := str(r["title"]); t != "" {
						lines = append(lines, t)
					}
					walk(r, "")
				} else {
					walk(r, str(r["title"]))
				}
			case "Observation":
				entry, value, _, details := observationText(r)
				s := entry
				if entry == "" || firstCode(r["code"]) == "37331000000100" {
					s = strings.Join(details, " ")
					details = nil
				}
				if value != "" {
					s += " " + value
				}
				if len(details) > 0 {
					s += " " + strings.Join(details, " ")
				}
				if label != "" {
					s = label + ": " + s
				}
				lines = append(lines, strings.TrimSpace(s))
			case "Condition":
				lines = append(lines, "Problem: "+text(r["code"]))
			}
		}
	}
	for _, e := range v.b.entries {
		l, _ := obj(e)["resource"].(fhir.Resource)
		if l.Type() == "List" && firstCode(l["code"]) == consultationListCode &&
			str(obj(l["encounter"])["reference"]) == "Encounter/"+enc.ID() {
			walk(l, "")
		}
	}
	return lines
}

// administrative: the registration at the practice (the one
// administrative item the record keeps in a form GP Connect can send).
func (v careView) administrative() careSub {
	var t table
	if reg := v.registration; reg != nil {
		start := str(obj(reg["period"])["start"])
		if v.inPeriod(start) {
			kind := text(firstOf(reg["type"]))
			if d, ok := registrationTypes[firstCode(firstOf(reg["type"]))]; ok {
				kind = d
			}
			t.add(day(start), one(dmy(start)), one("Registration"), one(strings.TrimSpace(kind+" registration at "+v.practice)))
		}
	}
	return careSub{Title: "Administrative Items", Date: v.dateBanner(true), TableID: "adm-tab",
		Head: []string{"Date", "Entry", "Details"}, Rows: t.sorted()}
}

var registrationTypes = map[string]string{"R": "Regular", "T": "Temporary", "E": "Emergency", "IN": "Immediately necessary", "P": "Private", "O": "Other"}
