package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestAge(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		birth string
		want  string
	}{
		{"1970-03-12", "56y"},
		{"1970-12-01", "56y"},
		{"1970-12-02", "55y"},
		{"2024-12-01", "2y"},
		{"2024-12-02", "23m"},
		{"2026-10-31", "1m"},
		{"2026-11-02", "4w"},
		{"2026-11-28", "3d"},
		{"2027-01-01", ""},
	} {
		b, _ := time.Parse("2006-01-02", c.birth)
		if got := Age(b, now); got != c.want {
			t.Errorf("Age(%s) = %q, want %q", c.birth, got, c.want)
		}
	}
}

func TestBannerOf(t *testing.T) {
	p, err := fhir.Unmarshal([]byte(`{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1970-03-12",
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
		"name":[{"use":"usual","given":["Janie"]},{"use":"official","family":"Smith","given":["Jane","Ann"],"prefix":["Mrs"]}],
		"address":[{"line":["1 High Street"],"city":"Leeds","postalCode":"LS1 4AP"}],
		"generalPractitioner":[{"reference":"Practitioner/dr","display":"Dr A Patel"}],"deceasedDateTime":"2026-11-30"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := BannerOf(p, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	want := Banner{ID: "p1", Name: "SMITH, Jane Ann (Mrs)", BirthDate: "12-Mar-1970", Age: "56y", Sex: "Female", NHSNumber: "943 476 5919",
		Address: "1 High Street, Leeds", Postcode: "LS1 4AP", UsualGP: "Dr A Patel", Deceased: true}
	if got != want {
		t.Errorf("BannerOf = %+v\nwant %+v", got, want)
	}
}

func TestBannerSensitive(t *testing.T) {
	for body, want := range map[string]bool{
		`{"resourceType":"Patient","id":"p"}`: false,
		`{"resourceType":"Patient","id":"p","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}`: true,
		`{"resourceType":"Patient","id":"p","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]}}`: false,
	} {
		p, err := fhir.Unmarshal([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := BannerOf(p, time.Now()).Sensitive; got != want {
			t.Errorf("%s: Sensitive %v", body, got)
		}
	}
}
