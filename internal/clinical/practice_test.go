package clinical

import (
	"maps"
	"slices"
	"testing"
)

func errKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestStaffMemberCheck(t *testing.T) {
	cases := []struct {
		name string
		m    StaffMember
		want []string
		num  string // the number as kept
	}{
		{"receptionist, no registration", StaffMember{Name: "Pat  Desk"}, nil, ""},
		{"GP with a GMC number", StaffMember{Name: "Dr A", Register: "gmc", Number: " 123 4567 ", Prescriber: true}, nil, "1234567"},
		{"nurse with an NMC PIN in lower case", StaffMember{Name: "N B", Register: "nmc", Number: "12a3456e", Prescriber: true}, nil, "12A3456E"},
		{"pharmacist", StaffMember{Name: "P C", Register: "gphc", Number: "2071234"}, nil, "2071234"},
		{"no name", StaffMember{}, []string{"name"}, ""},
		{"GMC number too short", StaffMember{Name: "Dr A", Register: "gmc", Number: "12345"}, []string{"number"}, "12345"},
		{"NMC number in the GMC shape", StaffMember{Name: "N", Register: "nmc", Number: "1234567"}, []string{"number"}, "1234567"},
		{"register without number", StaffMember{Name: "N", Register: "nmc"}, []string{"number"}, ""},
		{"number without register", StaffMember{Name: "N", Number: "1234567"}, []string{"register"}, "1234567"},
		{"unknown register", StaffMember{Name: "N", Register: "gdc", Number: "123456"}, []string{"register"}, "123456"},
		{"prescriber with no registration", StaffMember{Name: "HCA", Prescriber: true}, []string{"prescriber"}, ""},
		{"paramedic prescriber on the HCPC register", StaffMember{Name: "P", Register: "hcpc", Number: "pa12345", Prescriber: true, PrescriberType: "paramedic"}, nil, "PA12345"},
		{"pharmacist prescriber on the NMC register", StaffMember{Name: "P", Register: "nmc", Number: "12A3456E", Prescriber: true, PrescriberType: "pharmacist"}, []string{"prescriber-type"}, "12A3456E"},
		{"registrar on the GMC register", StaffMember{Name: "Dr R", Register: "gmc", Number: "1234567", Prescriber: true, PrescriberType: "registrar"}, nil, "1234567"},
		{"unknown prescriber type", StaffMember{Name: "Dr R", Register: "gmc", Number: "1234567", Prescriber: true, PrescriberType: "wizard"}, []string{"prescriber-type"}, "1234567"},
		{"supplementary pharmacist", StaffMember{Name: "S", Register: "gphc", Number: "2071234", Prescriber: true, PrescriberType: "supplementary"}, nil, "2071234"},
	}
	for _, c := range cases {
		got := c.m.Check()
		if !slices.Equal(errKeys(got), c.want) || c.m.Number != c.num {
			t.Errorf("%s: errors %v (number %q), want %v (%q)", c.name, got, c.m.Number, c.want, c.num)
		}
	}
}

func TestStaffResources(t *testing.T) {
	m := StaffMember{Name: "Dr Amina Shah", Username: "amina", Role: "gp", RoleName: "GP", Register: "gmc", Number: "1234567", Prescriber: true}
	p := PractitionerOf(m)
	if reg, num := RegistrationOf(p); reg != "gmc" || num != "1234567" {
		t.Errorf("registration read back: %s %s", reg, num)
	}
	role := PractitionerRoleOf(m, "Practitioner/x", "org-a")
	if !IsPrescriber(role) {
		t.Error("prescriber not read back")
	}
	m.Prescriber = false
	if IsPrescriber(PractitionerRoleOf(m, "Practitioner/x", "org-a")) {
		t.Error("a non-prescriber read as one")
	}
	// Changing the registration keeps the username's identifier; taking
	// the prescriber code off keeps the role.
	changed := WithRegistration(p, StaffMember{Register: "nmc", Number: "12A3456E"})
	if reg, num := RegistrationOf(changed); reg != "nmc" || num != "12A3456E" || len(list(changed, "identifier")) != 2 {
		t.Errorf("registration changed: %v", changed["identifier"])
	}
	if reg, _ := RegistrationOf(WithRegistration(p, StaffMember{})); reg != "" {
		t.Error("registration not removed")
	}
	if reg, _ := RegistrationOf(p); reg != "gmc" {
		t.Error("WithRegistration changed its argument")
	}
	off := WithPrescriber(role, false)
	if IsPrescriber(off) || len(list(off, "code")) != 1 || !IsPrescriber(WithPrescriber(off, true)) {
		t.Errorf("prescriber changed: %v", off["code"])
	}
	if reg, _ := RegistrationOf(PractitionerOf(StaffMember{Name: "R", Username: "r"})); reg != "" {
		t.Error("registration invented")
	}
}

func TestSiteCheck(t *testing.T) {
	cases := []struct {
		name string
		s    Site
		want []string
		pc   string
	}{
		{"main surgery", Site{Name: "Riverside", Kind: "main", Lines: "1 High St", Postcode: "ls14ap"}, nil, "LS1 4AP"},
		{"branch with phone", Site{Name: "Hill", Kind: "branch", Lines: "2 Low Rd", Postcode: "SW1A 1AA", Phone: "0113 496 0000"}, nil, "SW1A 1AA"},
		{"empty", Site{}, []string{"kind", "lines", "name", "postcode"}, ""},
		{"half a postcode", Site{Name: "X", Kind: "main", Lines: "1", Postcode: "LS1"}, []string{"postcode"}, "LS1"},
		{"bad phone", Site{Name: "X", Kind: "main", Lines: "1", Postcode: "LS1 4AP", Phone: "call us"}, []string{"phone"}, "LS1 4AP"},
		{"unknown kind", Site{Name: "X", Kind: "hub", Lines: "1", Postcode: "LS1 4AP"}, []string{"kind"}, "LS1 4AP"},
	}
	for _, c := range cases {
		got := c.s.Check()
		if !slices.Equal(errKeys(got), c.want) || c.s.Postcode != c.pc {
			t.Errorf("%s: errors %v (postcode %q), want %v (%q)", c.name, got, c.s.Postcode, c.want, c.pc)
		}
	}
	s := Site{Name: "Hill Branch", Kind: "branch", Lines: "2 Low Rd\nUpper Hill", Town: "Leeds", Postcode: "LS6 2AA", Phone: "0113 496 0001"}
	back := SiteOf(LocationOf(s, "org-a"))
	if back.Name != s.Name || back.Kind != "branch" || back.Lines != "2 Low Rd, Upper Hill" || back.Town != "Leeds" || back.Postcode != "LS6 2AA" || back.Phone != s.Phone || !back.Active {
		t.Errorf("site read back: %+v", back)
	}
}

func TestTeam(t *testing.T) {
	tm := Team{Name: "  Reception   team "}
	if errs := tm.Check(); len(errs) != 0 || tm.Name != "Reception team" {
		t.Errorf("team check: %v %q", errs, tm.Name)
	}
	if errs := (&Team{}).Check(); errs["name"] == "" {
		t.Error("a team with no name accepted")
	}
	tm.Members = []Ref{{Reference: "Practitioner/a", Display: "A"}, {Reference: "Practitioner/b", Display: "B"}}
	back := TeamOf(GroupOf(tm, "org-a"))
	if back.Name != tm.Name || !slices.Equal(back.Members, tm.Members) {
		t.Errorf("team read back: %+v", back)
	}
	g := GroupOf(tm, "org-a")
	if again := TeamOf(WithMembers(g, tm.Members[1:])); !slices.Equal(again.Members, tm.Members[1:]) || again.Name != tm.Name {
		t.Errorf("members changed: %+v", again)
	}
	if _, ok := WithMembers(g, nil)["member"]; ok {
		t.Error("an empty team keeps members")
	}
	if len(TeamOf(g).Members) != 2 {
		t.Error("WithMembers changed its argument")
	}
}

func TestSiteAmongOthers(t *testing.T) {
	main := Site{ID: "1", Name: "Riverside", Kind: "main", Active: true}
	closedMain := Site{ID: "2", Name: "Old Main", Kind: "main", Active: false}
	branch := Site{ID: "3", Name: "Hill", Kind: "branch", Active: true}
	ok := func(name, kind string) Site {
		return Site{Name: name, Kind: kind, Lines: "1 Road", Postcode: "LS1 4AP"}
	}
	cases := []struct {
		name   string
		s      Site
		others []Site
		want   []string
	}{
		{"the first main surgery", ok("Riverside", "main"), nil, nil},
		{"a second main surgery", ok("New", "main"), []Site{main}, []string{"kind"}},
		{"a main surgery after the old one closed", ok("New", "main"), []Site{closedMain, branch}, nil},
		{"a branch beside the main", ok("Vale", "branch"), []Site{main, branch}, nil},
		{"a name taken, in other case", ok("hill", "branch"), []Site{main, branch}, []string{"name"}},
		{"a closed site's name again", ok("Old Main", "branch"), []Site{closedMain}, nil},
	}
	for _, c := range cases {
		if got := errKeys(c.s.CheckAmong(c.others)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	loc := LocationOf(ok("Riverside", "main"), "org-a")
	if SiteOf(WithStatus(loc, false)).Active || !SiteOf(WithStatus(WithStatus(loc, false), true)).Active || !SiteOf(loc).Active {
		t.Error("closing and reopening")
	}
}

// FuzzStaffMemberCheck: any form input is checked without panicking, and
// what it accepts (normalised) is accepted again unchanged.
func FuzzStaffMemberCheck(f *testing.F) {
	f.Add("Dr A", "gmc", " 123 4567 ", true)
	f.Add("N", "nmc", "12a3456e", false)
	f.Add("", "", "", true)
	f.Fuzz(func(t *testing.T, name, register, number string, prescriber bool) {
		m := StaffMember{Name: name, Register: register, Number: number, Prescriber: prescriber}
		if len(m.Check()) > 0 {
			return
		}
		again := m
		if errs := again.Check(); len(errs) > 0 || again != m {
			t.Fatalf("accepted %+v, then %+v: %v", m, again, errs)
		}
		if reg, num := RegistrationOf(PractitionerOf(m)); reg != m.Register || (reg != "" && num != m.Number) {
			t.Fatalf("registration read back as %s %s from %+v", reg, num, m)
		}
	})
}

// FuzzSiteCheck: any site form is checked without panicking; an accepted
// postcode is kept in its normal form and accepted again.
func FuzzSiteCheck(f *testing.F) {
	f.Add("Riverside", "main", "1 River St", "Leeds", "ls14ap", "0113 496 0000")
	f.Add("", "hub", "", "", "LS1", "x")
	f.Fuzz(func(t *testing.T, name, kind, lines, town, postcode, phone string) {
		s := Site{Name: name, Kind: kind, Lines: lines, Town: town, Postcode: postcode, Phone: phone}
		if len(s.Check()) > 0 {
			return
		}
		again := s
		if errs := again.Check(); len(errs) > 0 || again.Postcode != s.Postcode || again.Name != s.Name {
			t.Fatalf("accepted %+v, then %+v: %v", s, again, errs)
		}
		if back := SiteOf(LocationOf(s, "org-a")); back.Postcode != s.Postcode || back.Kind != s.Kind {
			t.Fatalf("site read back as %+v from %+v", back, s)
		}
	})
}
