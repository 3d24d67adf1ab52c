package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// testNamesAsNumbers checks the dictionaries of token systems and
// parameters (the fifteenth and sixteenth migrations): a number given by
// a write that rolls back is not taken for its name (SQLite gives it
// again to the next new name), a system no row names matches nothing and
// its negations match everything, and searches by system and code find
// what was written.
func testNamesAsNumbers(t *testing.T, s store.Store) {
	ctx := context.Background()
	coded := func(system, code string) search.TokenValue {
		return search.TokenValue{Param: "code", System: system, Code: code}
	}
	rolledBack := errors.New("roll back")
	// A parameter and a system the store has not met, numbered by a
	// write that rolls back.
	category := search.TokenValue{Param: "category", System: "http://example.org/rolled-back", Code: "a"}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, write("Observation", "ts0", 1, 1, category)); err != nil {
			return err
		}
		// Read back inside the transaction: its rows are written (and
		// their names numbered) before the rollback.
		ids, err := tx.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "category", System: "http://example.org/rolled-back", Code: "a"}}})
		if err != nil || len(ids) != 1 {
			t.Errorf("inside its transaction: %v, %v; want [ts0]", ids, err)
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	put(t, s,
		write("Observation", "ts1", 1, 2, coded("http://example.org/committed", "a")),
		write("Observation", "ts2", 1, 3, coded("http://loinc.org", "a"), coded("", "b")),
	)
	put(t, s, write("Observation", "ts3", 1, 4, coded("http://example.org/rolled-back", "a")))
	for _, c := range []struct{ query, want string }{
		{"code=http://example.org/committed|a", "ts1"},
		{"code=http://example.org/rolled-back|a", "ts3"},
		{"code=http://example.org/rolled-back|", "ts3"},
		{"code=http://loinc.org|a", "ts2"},
		{"code=|b", "ts2"},
		{"code=|a", ""},
		{"code=a", "ts1,ts2,ts3"},
		{"code=http://example.org/never|a", ""},
		{"code:not=http://example.org/never|a", "ts1,ts2,ts3"},
		{"code:not=http://loinc.org|a", "ts1,ts3"},
		{"category=a", ""},
		{"category:missing=true", "ts1,ts2,ts3"},
	} {
		if got := strings.Join(sortedIDs(runQuery(t, s, "Observation", c.query)), ","); got != c.want {
			t.Errorf("Observation?%s = [%s], want [%s]", c.query, got, c.want)
		}
	}
	ids, err := s.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", System: "http://example.org/committed", Code: "a"}}})
	if err != nil || strings.Join(ids, ",") != "ts1" {
		t.Errorf("Find http://example.org/committed|a: %v, %v; want [ts1]", ids, err)
	}
	patientKeysAsNumbers(t, s)
}

// namedPatient is a Patient with a name, for chains to Patients.
func namedPatient(id, name string) store.Write {
	w := write("Patient", id, 1, 1)
	w.Index.Strings = []search.StringValue{{Param: "name", Norm: name, Exact: name}}
	return w
}

// keyedObservation is an Observation of code (in the system
// http://example.org/keys) about patient, whose token rows carry the
// patient's key: its subject and patient rows, as extraction writes
// them.
func keyedObservation(id, code, patient string) store.Write {
	w := write("Observation", id, 1, 1, search.TokenValue{Param: "code", System: "http://example.org/keys", Code: code})
	for _, p := range []string{"subject", "patient"} {
		w.Index.References = append(w.Index.References, search.ReferenceValue{Param: p, TargetType: "Patient", TargetID: patient})
	}
	return w
}

// patientKeysAsNumbers checks the token rows' patient keys as numbers
// (the seventeenth migration) as testNamesAsNumbers does names: a
// Patient numbered by a write that rolls back, then another, then the
// first again; each Observation is found by its own patient's key
// (_has, and a chain to Patients beside a code).
func patientKeysAsNumbers(t *testing.T, s store.Store) {
	ctx := context.Background()
	rolledBack := errors.New("roll back")
	patient, obs := namedPatient, keyedObservation
	err := s.InTx(ctx, func(tx store.Tx) error {
		for _, w := range []store.Write{patient("pk-rolled-back", "rolled"), obs("ko0", "a", "pk-rolled-back")} {
			if _, err := tx.Put(ctx, w); err != nil {
				return err
			}
		}
		// A read writes what was put, numbering its patient key.
		if ids, err := tx.Find(ctx, store.FindQuery{Type: "Observation", Criteria: []store.Criterion{{Param: "code", System: "http://example.org/keys", Code: "a"}}}); err != nil || len(ids) != 1 {
			t.Errorf("inside its transaction: %v, %v; want [ko0]", ids, err)
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	put(t, s, patient("pk-committed", "kept"), obs("ko1", "a", "pk-committed"))
	put(t, s, patient("pk-rolled-back", "rolled"), obs("ko2", "a", "pk-rolled-back"), obs("ko3", "b", "pk-rolled-back"))
	for _, c := range []struct{ typ, query, want string }{
		{"Patient", "_has:Observation:patient:code=http://example.org/keys|a", "pk-committed,pk-rolled-back"},
		{"Patient", "_has:Observation:patient:code=http://example.org/keys|b", "pk-rolled-back"},
		{"Observation", "patient.name=kept&code=http://example.org/keys|a", "ko1"},
		{"Observation", "patient.name=rolled&code=http://example.org/keys|a", "ko2"},
		{"Observation", "patient.name=rolled&code=http://example.org/keys|b", "ko3"},
		{"Observation", "patient.name=never&code=http://example.org/keys|a", ""},
	} {
		if got := strings.Join(sortedIDs(runQuery(t, s, c.typ, c.query)), ","); got != c.want {
			t.Errorf("%s?%s = [%s], want [%s]", c.typ, c.query, got, c.want)
		}
	}
	// A guard on the chained Patients (the service's, keeping a step
	// within the caller's reach) holds where their ids become keys.
	params, err := url.ParseQuery("patient.name=kept,rolled&code=http://example.org/keys|a")
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := search.Parse([]string{"Observation"}, params, search.ParseOptions{DefaultCount: 100, MaxCount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	guarded := 0
	for _, f := range q.Filters {
		if f.Chain != nil {
			f.Chain.Guards = map[string]*search.Guard{"Patient": {Access: &search.Access{Patients: []string{"pk-committed"}}}}
			guarded++
		}
	}
	if guarded != 1 {
		t.Fatalf("%d chains in the guarded query, want 1", guarded)
	}
	page, err := s.Search(ctx, q, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range page.Matches {
		got = append(got, v.ID)
	}
	if slices.Sort(got); strings.Join(got, ",") != "ko1" {
		t.Errorf("a chain to both patients, guarded to pk-committed: [%s], want [ko1]", strings.Join(got, ","))
	}
}

// NamesOnTwoServers checks that two servers on one database (a
// and b, opened in that order, each reading the dictionaries as it
// opens) agree on the numbers of the systems and parameters either
// writes: b finds what a wrote with a system and a parameter new since b
// opened, and writes them under a's numbers.
func NamesOnTwoServers(t *testing.T, a, b store.Store) {
	coded := search.TokenValue{Param: "code", System: "http://example.org/new-on-a", Code: "x"}
	put(t, a, write("Observation", "two1", 1, 1, coded))
	if got := strings.Join(runQuery(t, b, "Observation", "code=http://example.org/new-on-a|x"), ","); got != "two1" {
		t.Errorf("the other server found [%s], want [two1]", got)
	}
	put(t, b, write("Observation", "two2", 1, 2, coded))
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		if got := strings.Join(sortedIDs(runQuery(t, s, "Observation", "code=http://example.org/new-on-a|x")), ","); got != "two1,two2" {
			t.Errorf("server %s found [%s], want [two1,two2]", name, got)
		}
	}
	// A patient key new since b opened: b writes it under a's number, so
	// that its rows and a's name one patient.
	keyed := func(id, code string) store.Write {
		w := write("Observation", id, 1, 3, search.TokenValue{Param: "code", System: "http://example.org/keys", Code: code})
		w.Index.References = []search.ReferenceValue{{Param: "patient", TargetType: "Patient", TargetID: "pk-new-on-a"}}
		return w
	}
	put(t, a, write("Patient", "pk-new-on-a", 1, 3), keyed("two3", "a"))
	put(t, b, keyed("two4", "b"))
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		if got := strings.Join(runQuery(t, s, "Patient", "_has:Observation:patient:code=http://example.org/keys|a,http://example.org/keys|b"), ","); got != "pk-new-on-a" {
			t.Errorf("server %s found the patient [%s], want [pk-new-on-a]", name, got)
		}
	}
	manyNamesInOneWrite(t, a, b)
}

// manyNamesInOneWrite checks a write of more names than one statement
// looks up or adds (dictionary.go, maxNamesAStatement): 600
// Observations in one transaction on a, each naming its own patient
// (those of even number numbered by b before, so a looks them up; the
// rest new) and its own new system. Each Observation is found by its
// own system, and each patient by its own Observation's code through
// the patient key, across the statements' bounds.
func manyNamesInOneWrite(t *testing.T, a, b store.Store) {
	const n = 600
	obs := func(prefix string, i int) store.Write {
		w := keyedObservation(fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("o%d", i), fmt.Sprintf("many-patient-%d", i))
		w.Index.Tokens = append(w.Index.Tokens, search.TokenValue{Param: "category", System: fmt.Sprintf("http://example.org/many/s%d", i), Code: "s"})
		return w
	}
	var elsewhere, many []store.Write
	for i := range n {
		if i%2 == 0 {
			elsewhere = append(elsewhere, obs("many-b", i))
		}
		many = append(many, write("Patient", fmt.Sprintf("many-patient-%d", i), 1, 1), obs("many-a", i))
	}
	put(t, b, elsewhere...)
	put(t, a, many...)
	for _, i := range []int{0, 1, 2, 299, 300, 498, 499, 500, 501, 563, 564, 595, 596, 599} {
		want := fmt.Sprintf("many-patient-%d", i)
		if got := strings.Join(runQuery(t, a, "Patient", fmt.Sprintf("_has:Observation:patient:code=http://example.org/keys|o%d", i)), ","); got != want {
			t.Errorf("the patient of o%d: [%s], want [%s]", i, got, want)
		}
		want = fmt.Sprintf("many-a%d", i)
		if i%2 == 0 {
			want = fmt.Sprintf("many-a%d,many-b%d", i, i)
		}
		if got := strings.Join(sortedIDs(runQuery(t, a, "Observation", fmt.Sprintf("category=http://example.org/many/s%d|s", i))), ","); got != want {
			t.Errorf("the Observations of system s%d: [%s], want [%s]", i, got, want)
		}
	}
}

// NamesInTwoTransactions checks, on a store whose writers run
// concurrently, that two transactions each meeting the other's new names
// after writing its own (a read between, which writes what was put) do
// not wait for each other: a number given inside one transaction would
// hold the other until it ended, and each holding what the other needs
// is a deadlock (sqlstore.Store.GiveNumbersOn).
func NamesInTwoTransactions(t *testing.T, s store.Store) {
	ctx := context.Background()
	coded := func(system string) search.TokenValue {
		return search.TokenValue{Param: "code", System: system, Code: "a"}
	}
	errs := make(chan error, 2)
	run := func(id, mine, theirs string, wrote, other chan struct{}) {
		errs <- s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.Put(ctx, write("Observation", id+"1", 1, 1, coded(mine))); err != nil {
				return err
			}
			if _, err := tx.Read(ctx, "Observation", id+"1"); err != nil {
				return err
			}
			close(wrote)
			select {
			case <-other:
			case <-time.After(10 * time.Second):
				return errors.New("the other transaction did not write its own names")
			}
			if _, err := tx.Put(ctx, write("Observation", id+"2", 1, 2, coded(theirs))); err != nil {
				return err
			}
			_, err := tx.Read(ctx, "Observation", id+"2")
			return err
		})
	}
	x, y := make(chan struct{}), make(chan struct{})
	go run("x", "http://example.org/x", "http://example.org/y", x, y)
	go run("y", "http://example.org/y", "http://example.org/x", y, x)
	awaitAll(t, errs, 2, 30*time.Second)
	for system, want := range map[string]string{"http://example.org/x": "x1,y2", "http://example.org/y": "x2,y1"} {
		if got := strings.Join(sortedIDs(runQuery(t, s, "Observation", "code="+system+"|a")), ","); got != want {
			t.Errorf("Observation?code=%s|a = [%s], want [%s]", system, got, want)
		}
	}
}

// NamesUnderFullPool checks that writers meeting new names do not wait
// for one another when there are more of them than the store has
// connections: 32 transactions at once, each holding its connection a
// moment before it writes a system no other has met. A number given on
// the writers' own pool would wait for a connection that every open
// transaction holds, and none would end.
func NamesUnderFullPool(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers = 32
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			id := "pool" + strconv.Itoa(i)
			errs <- s.InTx(ctx, func(tx store.Tx) error {
				system := "http://example.org/pool/" + strconv.Itoa(i)
				if _, err := tx.Put(ctx, write("Observation", id, 1, i+1, search.TokenValue{Param: "code", System: system, Code: "a"})); err != nil {
					return err
				}
				time.Sleep(50 * time.Millisecond) // every connection taken meanwhile
				_, err := tx.Read(ctx, "Observation", id)
				return err
			})
		}()
	}
	awaitAll(t, errs, writers, 60*time.Second)
	if got := len(runQuery(t, s, "Observation", "code=a&_count=100")); got != writers {
		t.Errorf("%d Observations found, want %d", got, writers)
	}
}

// awaitAll reports the errors of n transactions from errs, and fails the
// test if they have not all ended within the time given (one deadline
// for all: transactions waiting for one another never end).
func awaitAll(t *testing.T, errs <-chan error, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for i := range n {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-deadline:
			t.Fatalf("%d of %d transactions still waiting after %v", n-i, n, within)
		}
	}
}

// NumberingFails checks that a write whose new name cannot be numbered
// fails whole and writes nothing, and that the store goes on writing
// names it knows: forbid makes the store refuse new token systems (a
// trigger), after a first write has numbered one.
func NumberingFails(t *testing.T, s store.Store, forbid func()) {
	ctx := context.Background()
	coded := func(system string) search.TokenValue {
		return search.TokenValue{Param: "code", System: system, Code: "a"}
	}
	put(t, s, write("Observation", "known", 1, 1, coded("http://loinc.org")))
	forbid()
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Put(ctx, write("Observation", "refused", 1, 2, coded("http://example.org/refused")))
		return err
	})
	if err == nil {
		t.Fatal("a write whose new system could not be numbered succeeded")
	}
	if _, err := s.Read(ctx, "Observation", "refused"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused write's resource: %v, want not found", err)
	}
	put(t, s, write("Observation", "known2", 1, 3, coded("http://loinc.org")))
	for query, want := range map[string]string{"code=http://loinc.org|a": "known,known2", "code=http://example.org/refused|a": ""} {
		if got := strings.Join(sortedIDs(runQuery(t, s, "Observation", query)), ","); got != want {
			t.Errorf("Observation?%s = [%s], want [%s]", query, got, want)
		}
	}
}
