package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// TestTypeFilterPastTheCut: an export's _typeFilter keeps every matching
// resource, however many: read through a stored result list, the search
// stopped at the list's cut as if nothing followed and the rest were
// left out without a word. With the cut at 8 and pages of 4, all 30
// matching Observations of 40 are exported.
func TestTypeFilterPastTheCut(t *testing.T) {
	oldCut, oldPage := sqlstore.MaxStoredResults, filterPage
	sqlstore.MaxStoredResults, filterPage = 8, 4
	defer func() { sqlstore.MaxStoredResults, filterPage = oldCut, oldPage }()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.InTx(context.Background(), func(tx store.Tx) error {
		for i := range 40 {
			code := "8302-2"
			if i%4 == 3 {
				code = "29463-7"
			}
			res, err := fhir.Unmarshal(fmt.Appendf(nil, `{"resourceType":"Observation","id":"o%02d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":%q}]}}`, i, code))
			if err != nil {
				return err
			}
			body, _ := json.Marshal(res)
			if _, err := tx.Put(context.Background(), store.Write{Version: store.Version{Type: "Observation", ID: res.ID(), VersionID: 1, LastUpdated: t0.Add(time.Duration(i) * time.Minute), Method: "POST", Body: body}, Index: search.Extract(res)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := search.Parse([]string{"Observation"}, url.Values{"code": {"http://loinc.org|8302-2"}}, search.ParseOptions{DefaultCount: 50, MaxCount: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Export(context.Background(), st, ExportOptions{Dir: t.TempDir(), Request: "test", Filters: map[string][]*search.Query{"Observation": {q}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Summary.ByType["Observation"]; got != 30 {
		t.Errorf("%d Observations exported, want the 30 the filter matches", got)
	}
}
