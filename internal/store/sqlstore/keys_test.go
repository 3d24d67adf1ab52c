package sqlstore

import (
	"fmt"
	"testing"
)

// TestIDsIn: ids are mapped to rids in the statement, by type, except
// where the column is c's own rid, which is compared by c's id on the
// primary key (beside c's type, a list of rids let SQLite read every
// resource of the type).
func TestIDsIn(t *testing.T) {
	for _, tt := range []struct {
		key  string
		not  bool
		want string
		args string
	}{
		{"c.rid", false, "c.id IN (?, ?)", "[a b]"},
		{"c.rid", true, "c.id NOT IN (?, ?)", "[a b]"},
		{"r.target_rid", false, "r.target_rid IN (SELECT k1.rid FROM resource_key k1 WHERE k1.type = ? AND k1.id IN (?, ?))", "[Patient a b]"},
		{"x.rid", true, "x.rid NOT IN (SELECT k1.rid FROM resource_key k1 WHERE k1.type = ? AND k1.id IN (?, ?))", "[Patient a b]"},
	} {
		sb := &sqlBuilder{}
		sb.idsIn(tt.key, "Patient", []string{"a", "b"}, tt.not)
		if got, args := sb.b.String(), fmt.Sprint(sb.args); got != tt.want || args != tt.args {
			t.Errorf("idsIn(%s, not %v) = %s %s, want %s %s", tt.key, tt.not, got, args, tt.want, tt.args)
		}
	}
}
