package clinical

// Code systems and the codes the summary looks for. Records carry SNOMED CT
// in the UK and LOINC from some labs and from Synthea: both are read.
const (
	SNOMED = "http://snomed.info/sct"
	LOINC  = "http://loinc.org"
)

// measure is one kind of measurement the summary shows.
type measure struct {
	key   string
	label string
	codes []string // SNOMED CT and LOINC codes that mean it
}

var measures = []measure{
	{"bp", "Blood pressure", []string{"75367002", "85354-9", "55284-4"}},
	{"systolic", "Systolic", []string{"271649006", "72313002", "8480-6"}},
	{"diastolic", "Diastolic", []string{"271650006", "1091811000000102", "8462-4"}},
	{"weight", "Weight", []string{"27113001", "29463-7"}},
	{"height", "Height", []string{"50373000", "8302-2"}},
	{"bmi", "BMI", []string{"60621009", "39156-5"}},
	{"pulse", "Pulse", []string{"78564009", "8867-4", "364075005"}},
	{"smoking", "Smoking status", []string{"365980008", "72166-2", "229819007", "266919005", "8517006", "77176002"}},
}

// SummaryObservationCodes is a token search value (comma-separated codes)
// selecting the Observations the summary shows.
func SummaryObservationCodes() string {
	out := ""
	for _, m := range measures {
		for _, c := range m.codes {
			if out != "" {
				out += ","
			}
			out += c
		}
	}
	return out
}

func measureOf(codes []string) string {
	for _, m := range measures {
		for _, c := range m.codes {
			for _, have := range codes {
				if have == c {
					return m.key
				}
			}
		}
	}
	return ""
}
