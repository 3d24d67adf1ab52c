package clinical

import "github.com/gpcloud/gpcloud/internal/fhir"

// The full record in the portal: consultation notes and documents, shown
// at the full level or, with prospective access, those dated on or after
// its first day (RecordScope). What the practice keeps to itself stays
// out: an Encounter, Composition or entry labelled NOPAT, an entry
// entered in error, the changes staff made and why, and any document
// that has not been filed from the inbox (an unreviewed letter: the GP
// Connect patient-facing rules forbid it, CLINICAL.md Patient portal 2).

// PatientConsultation is one consultation as the patient reads it.
type PatientConsultation struct {
	ID              string
	When, Type, Who string
	Topics          []PatientTopic
}

// PatientTopic is a topic's problem or title and its entries in words.
type PatientTopic struct {
	Title string
	Lines []string
}

// PatientConsultations builds the consultations the scope shows from
// the patient's Encounters, their Compositions and the entries those
// list (Observations and Conditions), newest first.
func PatientConsultations(scope RecordScope, encs, comps, entries []fhir.Resource) []PatientConsultation {
	compOf := map[string]fhir.Resource{}
	for _, c := range ForPatient(comps) {
		compOf[str(mapOf(c["encounter"]), "reference")] = c
	}
	byRef := map[string]fhir.Resource{}
	for _, e := range ForPatient(entries) {
		if !EnteredInError(e) {
			byRef[e.Type()+"/"+e.ID()] = e
		}
	}
	var views []ConsultationView
	for _, e := range ForPatient(encs) {
		if EnteredInError(e) || str(e, "status") == "cancelled" || !scope.Shows(PartFull, EntryDate(e)) {
			continue
		}
		comp := compOf["Encounter/"+e.ID()]
		if comp == nil {
			continue // nothing written: a call's own record, a booking
		}
		views = append(views, ViewConsultation(e, comp, byRef, nil))
	}
	SortJournal(views)
	var out []PatientConsultation
	for _, v := range views {
		pc := PatientConsultation{ID: v.ID, When: v.When, Type: v.Type, Who: v.Clinician}
		for _, t := range v.Topics {
			pt := PatientTopic{Title: firstNonEmpty(t.Problem, t.Title)}
			add := func(es []EntryView) {
				for _, e := range es {
					if _, ok := byRef[e.Ref]; !ok || e.Retracted || e.Text == "" {
						continue // hidden, in error, or not readable
					}
					line := e.Text
					if e.Detail != "" {
						line += ": " + e.Detail
					}
					pt.Lines = append(pt.Lines, line)
				}
			}
			add(t.Entries)
			for _, h := range t.Headings {
				add(h.Entries)
			}
			if len(pt.Lines) > 0 {
				pc.Topics = append(pc.Topics, pt)
			}
		}
		if len(pc.Topics) > 0 {
			out = append(out, pc)
		}
	}
	return out
}

// PatientDocument is a filed document as the patient reads it.
type PatientDocument struct {
	ID, Title, Date, From string
}

// PatientDocuments lists the documents the scope shows: filed from the
// inbox, not hidden, not entered in error.
func PatientDocuments(scope RecordScope, docs []fhir.Resource) []PatientDocument {
	var out []PatientDocument
	for _, d := range ForPatient(docs) {
		if InboxState(d) != InboxFiled || str(d, "status") == "entered-in-error" || !scope.Shows(PartFull, EntryDate(d)) {
			continue
		}
		in := IncomingOf(d)
		date := in.Date
		if t, ok := parseWhen(in.Date); ok {
			date = t.In(UKTime).Format("2 January 2006")
		}
		out = append(out, PatientDocument{ID: d.ID(), Title: in.Title, Date: date, From: in.From})
	}
	return out
}
