package sqlstore

import (
	"strings"
	"testing"
)

// TestPatientKeyPaths: which _has filters read the token rows' patient
// keys (hasByPatientKey), and that their SQL still reads the references
// for the rows without a key.
func TestPatientKeyPaths(t *testing.T) {
	for _, c := range []struct {
		typ, query string
		keyed      bool
	}{
		{"Patient", "_has:Observation:patient:code=1", true},
		{"Patient", "_has:Observation:subject:code=1", true},           // subject read for Patients is the patient parameter
		{"Patient", "_has:Condition:patient:code=1&gender=male", true}, // the _has leads
		{"Patient", "_has:AllergyIntolerance:patient:code=1", true},    // a patient parameter of its own
		{"Patient", "_has:Observation:performer:code=1", false},        // not the patient parameter
		{"Patient", "_has:AuditEvent:agent:type=rest", false},          // agent is half of AuditEvent's patient
		{"Patient", "_has:Observation:patient:code:not=1", false},      // a modifier
		{"Patient", "_has:Observation:patient:date=ge2020", false},     // not a token
		{"Patient", "_has:Observation:patient:_id=o1", false},          // _id has no token rows
	} {
		q := parsed(t, c.query, c.typ)
		l := lead(q)
		got := l >= 0 && hasByPatientKey(q.Filters[l], c.typ)
		if got != c.keyed {
			t.Errorf("%s?%s: keyed %v, want %v", c.typ, c.query, got, c.keyed)
		}
		sql := whereSQL(q)
		if strings.Contains(sql, ".patient_rid <> 0") != c.keyed {
			t.Errorf("%s?%s: the SQL reads keys: %v, want %v\n%s", c.typ, c.query, !c.keyed, c.keyed, sql)
		}
		if c.keyed && (!strings.Contains(sql, ".patient_rid = 0") || !strings.Contains(sql, "reference_index")) {
			t.Errorf("%s?%s: the rows without a key are not read through their references:\n%s", c.typ, c.query, sql)
		}
	}
}

// TestKeyedChainPaths: which chains read their token filter's rows by
// patient key (keyedChain), and that their SQL keeps the rows without a
// key and the chain's own lead for a store with many of those.
func TestKeyedChainPaths(t *testing.T) {
	for _, c := range []struct {
		query string
		keyed bool
	}{
		{"patient.name=Smith&code=http://loinc.org|4548-4", true},
		{"subject:Patient.name=Smith&code=http://loinc.org|4548-4", true}, // subject read for Patients
		{"patient.name=Smith&category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&status=final", true},
		{"patient.name=Smith&combo-code=http://loinc.org|8480-6", true}, // a union's parts' rows
		{"patient.name=Smith&code=4548-4", false},                       // no system: the key is not sought
		{"patient.name=Smith&status=final", false},                      // the same
		{"patient.name=Smith&code=http://loinc.org|4548-4,http://loinc.org|4549-2", false},
		{"patient.name=Smith&code:not=http://loinc.org|4548-4", false},
		{"performer:Practitioner.name=Jones&code=http://loinc.org|4548-4", false}, // not the patient parameter
		{"subject:Group.name=Ward&code=http://loinc.org|4548-4", false},
		{"patient.name=Smith&date=ge2020", false}, // not a token
	} {
		q := parsed(t, c.query, "Observation")
		l := lead(q)
		if got := keyedChain(q, l) >= 0; got != c.keyed {
			t.Errorf("%s: keyed %v, want %v", c.query, got, c.keyed)
		}
		sql := whereSQL(q)
		if strings.Contains(sql, ".patient_rid <> 0") != c.keyed {
			t.Errorf("%s: the SQL reads keys: %v, want %v\n%s", c.query, !c.keyed, c.keyed, sql)
		}
		if c.keyed && (!strings.Contains(sql, ".patient_rid = 0") || !strings.Contains(sql, "NOT (SELECT yes FROM")) {
			t.Errorf("%s: the rows without a key, or the chain's own lead, are not written:\n%s", c.query, sql)
		}
	}
}
