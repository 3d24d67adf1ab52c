package clinical

import (
	"reflect"
	"testing"
	"time"
)

func TestParsePatientQuery(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want PatientQuery
	}{
		{"943 476 5919", PatientQuery{NHSNumber: "9434765919"}},
		{"9434765919", PatientQuery{NHSNumber: "9434765919"}},
		{"12/03/1970", PatientQuery{BirthDate: "1970-03-12"}},
		{"12-Mar-1970", PatientQuery{BirthDate: "1970-03-12"}},
		{"12 March 1970", PatientQuery{BirthDate: "1970-03-12"}},
		{"1970-03-12", PatientQuery{BirthDate: "1970-03-12"}},
		{"12/3/70", PatientQuery{BirthDate: "1970-03-12"}},
		{"1/1/20", PatientQuery{BirthDate: "2020-01-01"}},
		{"1/1/30", PatientQuery{BirthDate: "1930-01-01"}}, // 2030 is to come
		{"31/02/1970", PatientQuery{Names: []string{"31/02/1970"}}},
		{"ls1 4ap", PatientQuery{Postcode: "LS1 4AP"}},
		{"LS14AP", PatientQuery{Postcode: "LS1 4AP"}},
		{"SW1A 1AA", PatientQuery{Postcode: "SW1A 1AA"}},
		{"smith", PatientQuery{Names: []string{"smith"}}},
		{"SMITH, John", PatientQuery{Names: []string{"SMITH", "John"}}},
		{"smith 12/03/1970", PatientQuery{Names: []string{"smith"}, BirthDate: "1970-03-12"}},
		{"jo smith ls1 4ap", PatientQuery{Names: []string{"jo", "smith"}, Postcode: "LS1 4AP"}},
		{"  ", PatientQuery{}},
	} {
		if got := ParsePatientQuery(c.in, now); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePatientQuery(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func FuzzParsePatientQuery(f *testing.F) {
	for _, s := range []string{"smith 12/03/1970", "LS1 4AP", "943 476 5919", "1-Mar-2000"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		q := ParsePatientQuery(s, now)
		if q.BirthDate != "" {
			if _, err := time.Parse("2006-01-02", q.BirthDate); err != nil {
				t.Fatalf("%q gave birth date %q", s, q.BirthDate)
			}
		}
		_ = q.Search()
	})
}

func TestParseDate(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"15/03/2025", "2025-03-15", true},
		{" 15-Mar-2025 ", "2025-03-15", true},
		{"2025-03-15", "2025-03-15", true},
		{"31/02/2024", "", false},
		{"02/12/2026", "", false}, // tomorrow
		{"15/03", "", false},
		{"", "", false},
	} {
		got, ok := ParseDate(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseDate(%q) = %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
