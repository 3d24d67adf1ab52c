package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// resourceRIDs reads the rids resource_key holds for the names ("Type/id")
// whose ids start with prefix.
func resourceRIDs(t *testing.T, db *sql.DB, prefix string) map[string]int64 {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT type, id, rid FROM resource_key WHERE id LIKE '`+prefix+`%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	rids := map[string]int64{}
	for rows.Next() {
		var typ, id string
		var rid int64
		if err := rows.Scan(&typ, &id, &rid); err != nil {
			t.Fatal(err)
		}
		rids[typ+"/"+id] = rid
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return rids
}

// namesOf is the sorted names of rids, joined for a message.
func namesOf(rids map[string]int64) string {
	var names []string
	for name := range rids {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// refersTo adds to w a reference row of param naming typ/id.
func refersTo(w store.Write, param, typ, id string) store.Write {
	w.Index.References = append(w.Index.References, search.ReferenceValue{Param: param, TargetType: typ, TargetID: id})
	return w
}

// ResourcesNumbered checks the eighteenth migration's numbering as writes
// give it: every resource a write holds and every reference target its
// rows name has one rid in resource_key, given at the first write that
// names it (a target the store does not hold too) and kept through
// updates and deletion; a write that rolls back leaves none that a
// later write of the same resources does not find; later names get
// larger rids. open returns a new store on the database db reaches.
func ResourcesNumbered(t *testing.T, open func() store.Store, db *sql.DB) {
	ctx := context.Background()
	s := open()
	defer s.Close()
	obs := refersTo(keyedObservation("rn-o", "a", "rn-p"), "performer", "Practitioner", "rn-absent")
	put(t, s, namedPatient("rn-p", "shaw"), obs)
	first := resourceRIDs(t, db, "rn-")
	if got, want := namesOf(first), "Observation/rn-o,Patient/rn-p,Practitioner/rn-absent"; got != want {
		t.Fatalf("after the first write resource_key names [%s], want [%s]", got, want)
	}

	// An update naming a new target, and a deletion.
	updated := refersTo(keyedObservation("rn-o", "b", "rn-p"), "performer", "Practitioner", "rn-absent2")
	updated.VersionID, updated.LastUpdated = 2, at(2)
	gone := namedPatient("rn-p", "shaw")
	gone.VersionID, gone.LastUpdated, gone.Deleted, gone.Body, gone.Index = 2, at(2), true, nil, search.Values{}
	put(t, s, updated, gone)
	second := resourceRIDs(t, db, "rn-")
	if got, want := namesOf(second), "Observation/rn-o,Patient/rn-p,Practitioner/rn-absent,Practitioner/rn-absent2"; got != want {
		t.Fatalf("after an update and a deletion resource_key names [%s], want [%s]", got, want)
	}
	for name, rid := range first {
		if second[name] != rid {
			t.Errorf("%s: rid %d after an update and a deletion, was %d", name, second[name], rid)
		}
	}

	// A write that rolls back, then the same write again.
	rolled := refersTo(write("Observation", "rn-rolled", 1, 3), "subject", "Patient", "rn-rolled-patient")
	errRollBack := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.Put(ctx, rolled); err != nil {
			return err
		}
		if _, err := tx.Read(ctx, "Observation", "rn-rolled"); err != nil { // the queue written
			return err
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatalf("the write that rolls back: %v", err)
	}
	put(t, s, rolled)
	third := resourceRIDs(t, db, "rn-")
	for _, name := range []string{"Observation/rn-rolled", "Patient/rn-rolled-patient"} {
		if third[name] == 0 {
			t.Errorf("%s has no rid after the write that followed the one rolled back", name)
		}
		for old, rid := range second {
			if third[name] <= rid {
				t.Errorf("%s: rid %d, not after %s's %d", name, third[name], old, rid)
			}
		}
	}
	if got := strings.Join(runQuery(t, s, "Observation", "subject=Patient/rn-rolled-patient"), ","); got != "rn-rolled" {
		t.Errorf("the rewritten Observation's reference found [%s], want [rn-rolled]", got)
	}
}

// ResourceKeysUpgrade checks the eighteenth migration on a store taken
// back to the seventeenth (resource_key holding only the Patients that
// token rows' keys name): every resource, deleted ones too, and every
// reference target gets a rid; the Patients keep theirs, so that the
// token rows' keys still name them; the others are numbered in (type,
// id) order (their ids chosen in the other order, so that an order by
// id alone fails).
func ResourceKeysUpgrade(t *testing.T, open func() store.Store, db *sql.DB) {
	ctx := context.Background()
	s := open()
	condition := write("Condition", "ru-c3", 1, 1)
	deleted := write("Condition", "ru-c3", 2, 2)
	deleted.Deleted, deleted.Body, deleted.Index = true, nil, search.Values{}
	put(t, s, namedPatient("ru-p", "shaw"), refersTo(keyedObservation("ru-a1", "a", "ru-p"), "performer", "Practitioner", "ru-0x"),
		write("Encounter", "ru-b2", 1, 1), condition)
	put(t, s, deleted)
	s.Close()
	before := resourceRIDs(t, db, "ru-")
	for _, stmt := range append(RowsByIDAsBefore(),
		`DELETE FROM resource_key WHERE rid NOT IN (SELECT patient_rid FROM token_index)`,
		`DELETE FROM schema_migrations WHERE version >= 18`,
	) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if got := namesOf(resourceRIDs(t, db, "ru-")); got != "Patient/ru-p" {
		t.Fatalf("taken back, resource_key names [%s], want [Patient/ru-p]", got)
	}

	s = open()
	defer s.Close()
	after := resourceRIDs(t, db, "ru-")
	want := []string{"Condition/ru-c3", "Encounter/ru-b2", "Observation/ru-a1", "Practitioner/ru-0x"}
	if got := namesOf(after); got != strings.Join(slices.Sorted(slices.Values(append(slices.Clone(want), "Patient/ru-p"))), ",") {
		t.Fatalf("after the upgrade resource_key names [%s]", got)
	}
	if after["Patient/ru-p"] != before["Patient/ru-p"] {
		t.Errorf("the patient's rid %d after the upgrade, was %d", after["Patient/ru-p"], before["Patient/ru-p"])
	}
	for i := 1; i < len(want); i++ {
		if after[want[i-1]] >= after[want[i]] {
			t.Errorf("%s numbered %d, not before %s's %d", want[i-1], after[want[i-1]], want[i], after[want[i]])
		}
	}
	if got := strings.Join(runQuery(t, s, "Patient", "_has:Observation:patient:code=http://example.org/keys|a"), ","); got != "ru-p" {
		t.Errorf("after the upgrade the patient key found [%s], want [ru-p]", got)
	}
	put(t, s, refersTo(write("Observation", "ru-o2", 1, 3), "subject", "Patient", "ru-p"))
	if got := resourceRIDs(t, db, "ru-"); got["Patient/ru-p"] != before["Patient/ru-p"] || got["Observation/ru-o2"] <= after["Practitioner/ru-0x"] {
		t.Errorf("a write after the upgrade numbered %v", got)
	}
}
