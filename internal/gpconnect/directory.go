package gpconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// The directory an operator keeps with `gpcloud admin gpconnect`: store
// records (operational state, not clinical), one per practice (kind
// gpconnect-practice, id its ODS code, body its ASID) and one per
// consumer system (kind gpconnect-consumer, id its ASID, body the ODS
// code it acts for).
const (
	practiceKind = "gpconnect-practice"
	consumerKind = "gpconnect-consumer"
)

var (
	asidPattern = regexp.MustCompile(`^[0-9]{6,20}$`)
	odsPattern  = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)
)

type directoryEntry struct {
	ASID string `json:"asid,omitempty"`
	ODS  string `json:"ods,omitempty"`
}

// StoreDirectory is the Directory kept in the store.
type StoreDirectory struct{ Store store.Store }

func (d StoreDirectory) get(kind, id string) (directoryEntry, bool) {
	r, err := d.Store.GetRecord(context.Background(), kind, id)
	if err != nil {
		return directoryEntry{}, false
	}
	var e directoryEntry
	return e, json.Unmarshal(r.Body, &e) == nil
}

// ProviderASID implements Directory.
func (d StoreDirectory) ProviderASID(ods string) (string, bool) {
	e, ok := d.get(practiceKind, ods)
	return e.ASID, ok && e.ASID != ""
}

// ConsumerODS implements Directory.
func (d StoreDirectory) ConsumerODS(asid string) (string, bool) {
	e, ok := d.get(consumerKind, asid)
	return e.ODS, ok && e.ODS != ""
}

// Directories answers from the first directory that knows (configuration
// first, then the store).
type Directories []Directory

// ProviderASID implements Directory.
func (ds Directories) ProviderASID(ods string) (string, bool) {
	for _, d := range ds {
		if a, ok := d.ProviderASID(ods); ok {
			return a, true
		}
	}
	return "", false
}

// ConsumerODS implements Directory.
func (ds Directories) ConsumerODS(asid string) (string, bool) {
	for _, d := range ds {
		if o, ok := d.ConsumerODS(asid); ok {
			return o, true
		}
	}
	return "", false
}

func checkCodes(asid, ods string) error {
	if !asidPattern.MatchString(asid) {
		return fmt.Errorf("ASID %q must be 6 to 20 digits", asid)
	}
	if !odsPattern.MatchString(ods) {
		return fmt.Errorf("ODS code %q must be 3 to 10 capital letters and digits", ods)
	}
	return nil
}

func putEntry(ctx context.Context, st store.Store, kind, id string, e directoryEntry) error {
	body, _ := json.Marshal(e)
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: kind, ID: id, Body: body})
	})
}

// SetPractice makes the practice with ODS code ods (an Organization
// svc finds by that code) a provider answering to asid.
func SetPractice(ctx context.Context, st store.Store, svc *service.Service, ods, asid string) error {
	if err := checkCodes(asid, ods); err != nil {
		return err
	}
	out, err := svc.Search(ctx, service.SearchRequest{Type: "Organization", Params: url.Values{"identifier": {ODSSystem + "|" + ods}}})
	if err != nil {
		return err
	}
	if n := len(matches(out.Resource)); n != 1 {
		return fmt.Errorf("%d Organizations have the ODS code %s: a provider practice needs exactly one", n, ods)
	}
	return putEntry(ctx, st, practiceKind, ods, directoryEntry{ASID: asid})
}

// AddConsumer allows the consumer system asid, acting for ods.
func AddConsumer(ctx context.Context, st store.Store, asid, ods string) error {
	if err := checkCodes(asid, ods); err != nil {
		return err
	}
	return putEntry(ctx, st, consumerKind, asid, directoryEntry{ODS: ods})
}

// RemoveConsumer refuses the consumer system asid from now on.
func RemoveConsumer(ctx context.Context, st store.Store, asid string) error {
	if _, err := st.GetRecord(ctx, consumerKind, asid); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no consumer system has ASID %s", asid)
	}
	return st.InTx(ctx, func(tx store.Tx) error { return tx.DeleteRecord(ctx, consumerKind, asid) })
}

// Entry is one line of the directory: an ASID and an ODS code.
type Entry struct{ ASID, ODS string }

// Consumers lists the consumer systems allowed.
func Consumers(ctx context.Context, st store.Store) ([]Entry, error) {
	return listEntries(ctx, st, consumerKind, func(id string, e directoryEntry) Entry { return Entry{ASID: id, ODS: e.ODS} })
}

// Practices lists the provider practices.
func Practices(ctx context.Context, st store.Store) ([]Entry, error) {
	return listEntries(ctx, st, practiceKind, func(id string, e directoryEntry) Entry { return Entry{ASID: e.ASID, ODS: id} })
}

func listEntries(ctx context.Context, st store.Store, kind string, f func(string, directoryEntry) Entry) ([]Entry, error) {
	rs, err := st.ListRecords(ctx, kind)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, r := range rs {
		var e directoryEntry
		if json.Unmarshal(r.Body, &e) == nil {
			out = append(out, f(r.ID, e))
		}
	}
	return out, nil
}
