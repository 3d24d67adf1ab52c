package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

var (
	families = []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
		"Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Khan", "Ahmed",
		"Singh", "Begum", "Ali", "Nowak", "Kowalski", "O'Brien", "Murphy", "Campbell", "Clarke", "Patel", "Shah", "Chen", "Okonkwo"}
	femaleGiven = []string{"Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophie", "Grace", "Emily", "Fatima", "Aisha", "Zara",
		"Margaret", "Susan", "Linda", "Patricia", "Joan", "Priya", "Anna", "Chloe", "Ruby"}
	maleGiven = []string{"Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Yusuf", "Thomas",
		"David", "John", "Michael", "Peter", "Robert", "Raj", "Adam", "James", "Daniel", "Samuel"}
	streets = []string{"High Street", "Station Road", "Church Lane", "Park Avenue", "Victoria Road", "Mill Lane", "Kings Road",
		"Queens Drive", "Albert Street", "Meadow Close"}
	postcodes = []string{"LS1 4AP", "LS2 7QT", "LS6 2AB", "LS8 1DX", "LS11 5BW", "LS12 3HN", "LS15 8RR", "LS17 6EE", "LS9 9PF", "LS4 2LT"}
)

// condition is a long-term condition the demo may give a patient, with
// the repeat that treats it.
type condition struct {
	code, display string
	medCode, med  string
	dose          string
}

var conditions = []condition{
	{"38341003", "Hypertensive disorder", "318858007", "Amlodipine 5mg tablets", "One tablet once a day"},
	{"44054006", "Type 2 diabetes mellitus", "325278007", "Metformin 500mg modified-release tablets", "Two tablets once a day with the evening meal"},
	{"195967001", "Asthma", "320140007", "Salbutamol 100micrograms/dose inhaler CFC free", "Two puffs when required, up to four times a day"},
	{"13645005", "Chronic obstructive lung disease", "374584009", "Tiotropium 2.5micrograms/dose solution for inhalation cartridge", "Two puffs once a day"},
	{"35489007", "Depressive disorder", "321949006", "Sertraline 50mg tablets", "One tablet once a day"},
	{"40930008", "Hypothyroidism", "376932006", "Levothyroxine sodium 100microgram tablets", "One tablet once a day before breakfast"},
	{"49436004", "Atrial fibrillation", "714133007", "Apixaban 5mg tablets", "One tablet twice a day"},
	{"396275006", "Osteoarthritis", "322236009", "Paracetamol 500mg tablets", "Two tablets up to four times a day when required"},
}

func pick[T any](rng *rand.Rand, l []T) T { return l[rng.IntN(len(l))] }

// makePatient registers one patient at the practice and gives them a
// record.
func makePatient(ctx context.Context, svc *service.Service, rng *rand.Rand, p *Practice, i int, now time.Time) (string, error) {
	id := fmt.Sprintf("pt-%s-%04d", strings.ToLower(p.ODS), i+1)
	female := rng.IntN(2) == 0
	given, gender, title := pick(rng, maleGiven), "male", "Mr"
	if female {
		given, gender, title = pick(rng, femaleGiven), "female", pick(rng, []string{"Mrs", "Ms", "Miss"})
	}
	age := rng.IntN(90)
	if rng.IntN(10) < 7 {
		age = 18 + rng.IntN(70)
	}
	birth := now.AddDate(-age, -rng.IntN(12), -rng.IntN(28))
	if age < 16 {
		title = ""
	}
	gp := p.Clinicians[rng.IntN(2)]
	name := map[string]any{"use": "official", "family": pick(rng, families), "given": []any{given}}
	if title != "" {
		name["prefix"] = []any{title}
	}
	patient := fhir.Resource{"resourceType": "Patient", "id": id, "active": true, "gender": gender,
		"birthDate": birth.Format("2006-01-02"),
		"identifier": []any{map[string]any{"system": clinical.NHSNumberSystem, "value": NHSNumber(i),
			"extension": []any{map[string]any{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": "01", "display": "Number present and verified"}}}}}}},
		"name":                 []any{name},
		"address":              []any{map[string]any{"use": "home", "line": []any{fmt.Sprintf("%d %s", 1+rng.IntN(120), pick(rng, streets))}, "city": "Leeds", "postalCode": pick(rng, postcodes)}},
		"telecom":              []any{map[string]any{"system": "phone", "value": fmt.Sprintf("07700 9%05d", rng.IntN(100000)), "use": "mobile"}},
		"managingOrganization": map[string]any{"reference": "Organization/" + p.OrganizationID, "display": p.Name},
		"generalPractitioner":  []any{map[string]any{"reference": "Practitioner/" + gp.ID, "display": gp.Name}},
	}
	var entries []any
	add := func(res fhir.Resource) {
		entries = append(entries, map[string]any{"resource": map[string]any(res), "request": map[string]any{"method": "PUT", "url": res.Type() + "/" + res.ID()}})
	}
	add(patient)
	subject := map[string]any{"reference": "Patient/" + id}
	// The registration (clinical/registration.go): regular, for ten years
	// or since birth.
	joined := now.AddDate(-10, 0, 0)
	if birth.After(joined) {
		joined = birth
	}
	add(fhir.Resource{"resourceType": "EpisodeOfCare", "id": id + "-reg", "status": "active",
		"type":    []any{map[string]any{"coding": []any{map[string]any{"system": clinical.RegistrationTypeSystem, "code": "R", "display": "Regular"}}}},
		"patient": subject, "managingOrganization": map[string]any{"reference": "Organization/" + p.OrganizationID, "display": p.Name},
		"period":      map[string]any{"start": joined.Format("2006-01-02")},
		"careManager": map[string]any{"reference": "Practitioner/" + gp.ID, "display": gp.Name}})
	n := 0
	next := func(kind string) string { n++; return fmt.Sprintf("%s-%s-%d", id, kind, n) }
	snomed := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": code, "display": display}}, "text": display}
	}
	// Consultations over the last two years, each with a blood pressure.
	for k := 0; k < 1+rng.IntN(4); k++ {
		when := now.AddDate(0, 0, -rng.IntN(730)).Format("2006-01-02") + "T09:" + fmt.Sprintf("%02d", 10*rng.IntN(6)) + ":00Z"
		clin := p.Clinicians[rng.IntN(len(p.Clinicians))]
		enc := next("enc")
		add(fhir.Resource{"resourceType": "Encounter", "id": enc, "status": "finished",
			"class":       map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
			"type":        []any{snomed("185389009", "Follow-up visit")},
			"subject":     subject,
			"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/" + clin.ID, "display": clin.Name}}},
			"period":      map[string]any{"start": when, "end": when}})
		if age >= 16 {
			sys, dia := 110+rng.IntN(50), 65+rng.IntN(30)
			add(fhir.Resource{"resourceType": "Observation", "id": next("bp"), "status": "final",
				"category":          []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}}}},
				"code":              snomed("75367002", "Blood pressure"),
				"subject":           subject,
				"encounter":         map[string]any{"reference": "Encounter/" + enc},
				"effectiveDateTime": when,
				"component": []any{
					map[string]any{"code": snomed("271649006", "Systolic blood pressure"), "valueQuantity": map[string]any{"value": sys, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
					map[string]any{"code": snomed("271650006", "Diastolic blood pressure"), "valueQuantity": map[string]any{"value": dia, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}}})
			add(fhir.Resource{"resourceType": "Observation", "id": next("wt"), "status": "final",
				"category":          []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}}}},
				"code":              snomed("27113001", "Body weight"),
				"subject":           subject,
				"effectiveDateTime": when,
				"valueQuantity":     map[string]any{"value": 50 + rng.IntN(60), "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}})
		}
	}
	// Long-term conditions, each with its repeat.
	if age >= 18 {
		for k := 0; k < rng.IntN(4); k++ {
			c := pick(rng, conditions)
			onset := now.AddDate(-1-rng.IntN(15), -rng.IntN(12), 0).Format("2006-01-02")
			add(fhir.Resource{"resourceType": "Condition", "id": next("cond"),
				"clinicalStatus":     map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}}},
				"verificationStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}}},
				"category":           []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}}}},
				"code":               snomed(c.code, c.display), "subject": subject, "onsetDateTime": onset, "recordedDate": onset})
			add(fhir.Resource{"resourceType": "MedicationRequest", "id": next("med"), "status": "active", "intent": "order",
				"courseOfTherapyType":       map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "code": "continuous"}}},
				"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://dmd.nhs.uk", "code": c.medCode, "display": c.med}}, "text": c.med},
				"subject":                   subject, "authoredOn": now.AddDate(0, -rng.IntN(6), 0).Format("2006-01-02"),
				"requester":         map[string]any{"reference": "Practitioner/" + gp.ID, "display": gp.Name},
				"dosageInstruction": []any{map[string]any{"text": c.dose}}})
		}
	}
	// Allergies: most have none known, some penicillin.
	switch rng.IntN(5) {
	case 0:
		add(fhir.Resource{"resourceType": "AllergyIntolerance", "id": next("alg"),
			"clinicalStatus":     map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}},
			"verificationStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}}},
			"code":               snomed("91936005", "Allergy to penicillin"), "patient": subject,
			"reaction": []any{map[string]any{"manifestation": []any{snomed("271807003", "Rash")}, "severity": "moderate"}}})
	case 1, 2, 3:
		add(fhir.Resource{"resourceType": "AllergyIntolerance", "id": next("alg"),
			"clinicalStatus": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}}},
			"code":           snomed("716186003", "No known allergy"), "patient": subject})
	}
	// This year's flu vaccine for the over-65s.
	if age >= 65 {
		add(fhir.Resource{"resourceType": "Immunization", "id": next("imm"), "status": "completed",
			"vaccineCode": snomed("1066171000000108", "Seasonal influenza vaccine"), "patient": subject,
			"occurrenceDateTime": now.AddDate(0, -1-rng.IntN(2), 0).Format("2006-01-02"), "lotNumber": fmt.Sprintf("FLU%04d", rng.IntN(10000))})
	}
	bundle, err := normalised(fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries})
	if err != nil {
		return "", err
	}
	_, err = svc.ProcessBundle(ctx, bundle, service.BundleOptions{})
	return id, err
}

// normalised is a resource built in Go as the API would decode it from
// JSON (numbers as JSON numbers), so that it validates as sent.
func normalised(r fhir.Resource) (fhir.Resource, error) {
	body, err := fhir.Marshal(r)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(body)
}
