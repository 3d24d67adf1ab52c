package gpconnect

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// The directory the admin command keeps: a practice needs its
// Organization; consumers are added, listed and removed; a removed
// consumer is refused at once.
func TestStoreDirectory(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	ctx := context.Background()
	if err := SetPractice(ctx, f.st, f.svc, "B99999", "900000000002"); err == nil {
		t.Errorf("a practice without an Organization accepted")
	}
	for _, bad := range [][2]string{{"12ab", "RYA"}, {"918999198738", "ry a"}} {
		if err := AddConsumer(ctx, f.st, bad[0], bad[1]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := SetPractice(ctx, f.st, f.svc, practiceODS, "900000000003"); err != nil {
		t.Fatal(err)
	}
	if err := AddConsumer(ctx, f.st, "200000000999", "RYB"); err != nil {
		t.Fatal(err)
	}
	d := Directories{StaticDirectory{}, StoreDirectory{Store: f.st}}
	if a, ok := d.ProviderASID(practiceODS); !ok || a != "900000000003" {
		t.Errorf("practice ASID %q %v", a, ok)
	}
	if o, ok := d.ConsumerODS("200000000999"); !ok || o != "RYB" {
		t.Errorf("consumer %q %v", o, ok)
	}
	cs, err := Consumers(ctx, f.st)
	if err != nil || len(cs) != 1 || cs[0] != (Entry{ASID: "200000000999", ODS: "RYB"}) {
		t.Errorf("consumers %v %v", cs, err)
	}
	ps, _ := Practices(ctx, f.st)
	if len(ps) != 1 || ps[0].ODS != practiceODS {
		t.Errorf("practices %v", ps)
	}
	if err := RemoveConsumer(ctx, f.st, "200000000999"); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.ConsumerODS("200000000999"); ok {
		t.Errorf("a removed consumer is still allowed")
	}
	if err := RemoveConsumer(ctx, f.st, "200000000999"); err == nil {
		t.Errorf("removing an unknown consumer is not an error")
	}
}
