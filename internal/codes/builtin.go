package codes

// Builtin is the stand-in's list of common primary-care concepts (SNOMED
// CT UK edition ids, preferred terms as GPs read them). It is clinical
// content: a clinical safety officer reviews it, and the terminology
// service replaces it (hazard H-207).
var Builtin = []Concept{
	// Long-term conditions.
	{"38341003", "Hypertension"},
	{"44054006", "Type 2 diabetes mellitus"},
	{"46635009", "Type 1 diabetes mellitus"},
	{"195967001", "Asthma"},
	{"13645005", "Chronic obstructive lung disease"},
	{"35489007", "Depressive disorder"},
	{"197480006", "Anxiety disorder"},
	{"40930008", "Hypothyroidism"},
	{"49436004", "Atrial fibrillation"},
	{"396275006", "Osteoarthritis"},
	{"84114007", "Heart failure"},
	{"53741008", "Coronary arteriosclerosis"},
	{"22298006", "Myocardial infarction"},
	{"230690007", "Stroke"},
	{"709044004", "Chronic kidney disease"},
	{"69896004", "Rheumatoid arthritis"},
	{"90560007", "Gout"},
	{"64859006", "Osteoporosis"},
	{"235595009", "Gastro-oesophageal reflux disease"},
	{"55822004", "Hyperlipidaemia"},
	{"414916001", "Obesity"},
	{"84757009", "Epilepsy"},
	{"52448006", "Dementia"},
	{"37796009", "Migraine"},
	{"271737000", "Anaemia"},
	{"193462001", "Insomnia"},
	// Acute illness.
	{"68566005", "Urinary tract infection"},
	{"54150009", "Upper respiratory tract infection"},
	{"233604007", "Pneumonia"},
	{"10509002", "Acute bronchitis"},
	{"363746003", "Acute pharyngitis"},
	{"65363002", "Otitis media"},
	{"36971009", "Sinusitis"},
	{"6142004", "Influenza"},
	{"840539006", "COVID-19"},
	{"43116000", "Eczema"},
	{"9014002", "Psoriasis"},
	// Symptoms and findings.
	{"49727002", "Cough"},
	{"386661006", "Fever"},
	{"267036007", "Dyspnoea"},
	{"29857009", "Chest pain"},
	{"21522001", "Abdominal pain"},
	{"25064002", "Headache"},
	{"279039007", "Low back pain"},
	{"57676002", "Joint pain"},
	{"62315008", "Diarrhoea"},
	{"422587007", "Nausea"},
	{"84229001", "Fatigue"},
	{"404640003", "Dizziness"},
	{"271807003", "Rash"},
	{"77386006", "Pregnant"},
	// Smoking.
	{"77176002", "Smoker"},
	{"8517006", "Ex-smoker"},
	{"266919005", "Never smoked tobacco"},
	// Allergens and allergies (the allergies page); vaccines (the
	// immunisations page). Added for ws-record, checked by ValidSCTID:
	// the terms are to be checked against the release too (H-306).
	{"373270004", "Penicillin class of antibiotic"},
	{"91936005", "Allergy to penicillin"},
	{"387207008", "Ibuprofen"},
	{"387458008", "Aspirin"},
	{"256349002", "Peanut"},
	{"111088007", "Latex"},
	{"836377006", "Influenza vaccine"},
	{"1119349007", "COVID-19 mRNA vaccine"},
	{"836398006", "Pneumococcal vaccine"},
}
