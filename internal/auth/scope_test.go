package auth

import (
	"testing"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical String()
		wantErr bool
	}{
		{"patient/*.read", "patient/*.rs", false},
		{"user/Observation.write", "user/Observation.cud", false},
		{"system/*.*", "system/*.cruds", false},
		{"patient/Observation.rs?category=laboratory", "patient/Observation.rs?category=laboratory", false},
		{"openid fhirUser launch/patient offline_access", "fhirUser launch/patient offline_access openid", false},
		{"patient/Observation.sr", "", true},  // out of order
		{"patient/Observation.rr", "", true},  // repeated
		{"patient/Observation.x", "", true},   // unknown letter
		{"patient/observation.rs", "", true},  // not a type name
		{"patient/Observation", "", true},     // no permissions
		{"patient/Observation.rs?", "", true}, // empty query
		{"system/Patient.cruds", "system/Patient.cruds", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseScopes(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && s.String() != tt.want {
				t.Fatalf("String() = %q, want %q", s.String(), tt.want)
			}
		})
	}
}

func TestReachFor(t *testing.T) {
	scopes := func(s string) Scopes {
		sc, err := ParseScopes(s)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	tests := []struct {
		name     string
		p        Principal
		typ      string
		perm     Permission
		ok       bool
		all      bool
		practice string
		patients int
		restrict int
	}{
		{"system reads all", Principal{Role: RoleSystem, Scopes: scopes("system/*.rs")}, "Observation", Read, true, true, "", 0, 0},
		{"system cannot write with read scope", Principal{Role: RoleSystem, Scopes: scopes("system/*.read")}, "Observation", Create, false, false, "", 0, 0},
		{"staff reach their practice", Principal{Role: RoleGP, Practice: "o1", Scopes: scopes("user/*.cruds")}, "Condition", Update, true, false, "o1", 0, 0},
		{"break glass reaches all", Principal{Role: RoleGP, Practice: "o1", BreakGlass: "unconscious patient", Scopes: scopes("user/*.cruds")}, "Condition", Read, true, true, "", 0, 0},
		{"receptionists cannot break glass", Principal{Role: RoleReceptionist, Practice: "o1", BreakGlass: "x", Scopes: scopes("user/*.rs")}, "Condition", Read, true, false, "o1", 0, 0},
		{"patient reaches own", Principal{Role: RolePatient, Patients: []string{"p1"}, Scopes: scopes("patient/*.rs")}, "Observation", Search, true, false, "", 1, 0},
		{"proxy reaches theirs", Principal{Role: RoleProxy, Patients: []string{"p1", "p2"}, Scopes: scopes("user/*.rs")}, "Observation", Read, true, false, "", 2, 0},
		{"fine-grained", Principal{Role: RolePatient, Patients: []string{"p1"}, Scopes: scopes("patient/Observation.rs?category=laboratory")}, "Observation", Search, true, false, "", 1, 1},
		{"fine-grained and plain: plain wins", Principal{Role: RolePatient, Patients: []string{"p1"}, Scopes: scopes("patient/Observation.rs?category=laboratory patient/Observation.rs")}, "Observation", Search, true, false, "", 1, 0},
		{"other type", Principal{Role: RolePatient, Patients: []string{"p1"}, Scopes: scopes("patient/Observation.rs")}, "Condition", Read, false, false, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tt.p.ReachFor(tt.typ, tt.perm)
			if ok != tt.ok || r.All != tt.all || r.Practice != tt.practice || len(r.Patients) != tt.patients || len(r.Restrictions) != tt.restrict {
				t.Fatalf("ReachFor = %+v, %v", r, ok)
			}
		})
	}
}

func TestIntersect(t *testing.T) {
	asked, _ := ParseScopes("patient/*.cruds openid offline_access")
	granted, _ := ParseScopes("patient/*.rs openid")
	if got := asked.Intersect(granted).String(); got != "patient/*.rs openid" {
		t.Fatalf("Intersect = %q", got)
	}
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"patient/*.read", "user/Observation.rs?category=a,b&code=x|y", "system/*.*", "openid launch/patient"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScopes(s)
		if err != nil {
			return
		}
		// The canonical form parses to itself.
		again, err := ParseScopes(sc.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", sc.String(), s, err)
		}
		if again.String() != sc.String() {
			t.Fatalf("%q -> %q -> %q", s, sc.String(), again.String())
		}
	})
}

func TestRoleScopesParse(t *testing.T) {
	for _, r := range Roles {
		if len(ScopesOf(r).Rules) == 0 {
			t.Errorf("role %s has no resource scopes", r)
		}
	}
	if ScopesOf(RoleReceptionist).Grant("Observation", Read).Allowed {
		t.Error("receptionists may read Observations")
	}
}
