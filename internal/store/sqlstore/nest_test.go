package sqlstore

import (
	"strings"
	"testing"
)

// TestNestsProbes: which searches probe their other filters inside the
// lead's subquery, and that the SQL then checks them on the lead's rows.
func TestNestsProbes(t *testing.T) {
	for _, c := range []struct {
		types []string
		query string
		nests bool
	}{
		{[]string{"Observation"}, "code=1&date=ge2019", true},
		{[]string{"Observation"}, "subject=Patient/p&code=1&status:not=final", true},
		{[]string{"Observation"}, "code=1", false},                                  // nothing to probe
		{[]string{"Observation"}, "encounter=Encounter/e&subject.name=x", true},     // a reference leads; the chain is probed
		{[]string{"Observation"}, "subject:Patient.name=x&code=1", false},           // a chain leads: its rows may repeat an id
		{[]string{"Patient"}, "_has:Observation:patient:code=1&gender=male", false}, // _has leads
		{[]string{"Observation"}, "_id=a&code=1", false},                            // _id is no index
		{[]string{"Observation", "Condition"}, "_lastUpdated=ge2019&_tag=x", false}, // no lead over two types
	} {
		q := parsed(t, c.query, c.types...)
		if got := nestsProbes(q, lead(q)); got != c.nests {
			t.Errorf("%s: nests %v, want %v", c.query, got, c.nests)
		}
		if !c.nests {
			continue
		}
		sql := whereSQL(q)
		lead := q.Filters[lead(q)]
		table, _, _ := filterTable(lead)
		x := sql[strings.Index(sql, table+" x")+len(table)+1:]
		alias := x[:strings.IndexAny(x, " ")]
		// c.rid once, for the lead; every other filter on the lead's rows.
		if strings.Count(sql, "c.rid") != 1 || strings.Count(sql, alias+".rid") < len(q.Filters) {
			t.Errorf("%s: the other filters are not probed on the lead's rows (%s): %s", c.query, alias, sql)
		}
	}
}
