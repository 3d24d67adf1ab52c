package rf2synth

import (
	"testing"

	"github.com/gpcloud/gpcloud/internal/codes"
)

func TestSCTIDsAreValid(t *testing.T) {
	for _, tc := range []struct {
		item      int64
		partition string
	}{{1000, "00"}, {123456, "01"}, {99999999, "02"}} {
		id := SCTID(tc.item, tc.partition)
		if tc.partition == "00" && !codes.ValidSCTID(id) {
			t.Errorf("SCTID(%d, %s) = %s fails the Verhoeff check", tc.item, tc.partition, id)
		}
		if len(id) < 4 {
			t.Errorf("short id %s", id)
		}
	}
}

func TestWriteShape(t *testing.T) {
	st, err := Write(t.TempDir(), Options{Concepts: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if st.Concepts != 3000 {
		t.Errorf("%d concepts", st.Concepts)
	}
	if r := float64(st.Descriptions) / float64(st.Concepts); r < 3 || r > 4 {
		t.Errorf("%.2f descriptions a concept, want about 3.4", r)
	}
	if st.MaxDepth < 15 {
		t.Errorf("hierarchy only %d deep", st.MaxDepth)
	}
}
