package terminology

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/terminology/termtest"
)

func testRelease(t testing.TB, st store.Terminology) { termtest.LoadSmallRelease(t, st) }

func newTestService(t testing.TB, st store.Store) *Service {
	t.Helper()
	s, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadStarter(context.Background(), s.Store()); err != nil {
		t.Fatal(err)
	}
	testRelease(t, s.Store())
	return s
}

func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// codesOf lists the expansion's codes, or the Parameters' named values.
func codesOf(r fhir.Resource) []string {
	var out []string
	exp, _ := r["expansion"].(map[string]any)
	cs, _ := exp["contains"].([]any)
	for _, c := range cs {
		out = append(out, c.(map[string]any)["code"].(string))
	}
	return out
}

func paramValue(r fhir.Resource, name string) any {
	ps, _ := r["parameter"].([]any)
	for _, p := range ps {
		m := p.(map[string]any)
		if m["name"] == name {
			for k, v := range m {
				if strings.HasPrefix(k, "value") {
					return v
				}
			}
		}
	}
	return nil
}

func statusOf(err error) int {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		return fe.Status
	}
	return 0
}

func TestOperationsSQLite(t *testing.T) { testOperations(t, storetest.OpenSQLite(t)) }

func TestOperationsPostgres(t *testing.T) { testOperations(t, storetest.OpenPostgres(t)) }

func testOperations(t *testing.T, st store.Store) {
	ctx := context.Background()
	s := newTestService(t, st)
	sct := func(ecl string) string { return SNOMED + "?fhir_vs=ecl/" + url.QueryEscape(ecl) }

	t.Run("expand", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			p      url.Values
			want   string // codes, comma separated
			status int
		}{
			{"typeahead preferred first", params("url", SNOMED+"?fhir_vs", "filter", "diab mel"), "73211009,46635009,44054006", 0},
			{"synonym", params("url", SNOMED+"?fhir_vs", "filter", "high blo"), "38341003", 0},
			{"abbreviation synonym", params("url", SNOMED+"?fhir_vs", "filter", "t2dm"), "44054006", 0},
			{"inactive left out", params("url", SNOMED+"?fhir_vs", "filter", "old code"), "", 0},
			{"inactive when asked", params("url", SNOMED+"?fhir_vs", "filter", "old code", "activeOnly", "false"), "190330002", 0},
			{"count and offset", params("url", SNOMED+"?fhir_vs", "filter", "diab", "count", "1", "offset", "1"), "46635009", 0},
			{"isa", params("url", SNOMED+"?fhir_vs=isa/73211009"), "73211009,46635009,44054006", 0},
			{"ecl descendants", params("url", sct("< 73211009 |Diabetes mellitus|")), "46635009,44054006", 0},
			{"ecl descendants or self with filter", params("url", sct("<< 404684003"), "filter", "type"), "46635009,44054006", 0},
			{"ecl descendants exclude self with filter", params("url", sct("< 73211009"), "filter", "diab"), "46635009,44054006", 0},
			{"ecl refset", params("url", sct("^ 999000011000000103")), "38341003,44054006", 0},
			{"ecl or", params("url", sct("46635009 OR 38341003")), "38341003,46635009", 0},
			{"ecl unsupported", params("url", sct("<< 73211009 : 363698007 = *")), "", 400},
			{"starter dm+d present", params("url", DMD+"?fhir_vs", "filter", "paracetamol", "count", "1"), "", 0},
			{"R4 value set", params("url", "http://hl7.org/fhir/ValueSet/administrative-gender"), "female,male,other,unknown", 0},
			{"unknown value set", params("url", "http://example.org/vs"), "", 404},
			{"no url", params(), "", 400},
			{"bad count", params("url", SNOMED+"?fhir_vs", "count", "x"), "", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, err := s.Expand(ctx, tc.p, nil)
				if tc.status != 0 {
					if statusOf(err) != tc.status {
						t.Fatalf("err = %v, want status %d", err, tc.status)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "starter dm+d present" {
					return
				}
				if got := strings.Join(codesOf(r), ","); got != tc.want {
					t.Errorf("codes %s, want %s", got, tc.want)
				}
			})
		}
	})

	t.Run("expand compose", func(t *testing.T) {
		vs := fhir.Resource{"resourceType": "ValueSet", "compose": map[string]any{"include": []any{map[string]any{
			"system": SNOMED, "filter": []any{map[string]any{"property": "concept", "op": "is-a", "value": "73211009"}},
		}}, "exclude": []any{map[string]any{"system": SNOMED, "concept": []any{map[string]any{"code": "46635009"}}}}}}
		r, err := s.Expand(ctx, params("filter", "diab"), vs)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(codesOf(r), ","); got != "73211009,44054006" {
			t.Errorf("codes %s", got)
		}
		b, _ := json.Marshal(r)
		if !strings.Contains(string(b), descIDExtension) {
			t.Errorf("no description id extension: %s", b)
		}
	})

	t.Run("lookup", func(t *testing.T) {
		r, err := s.Lookup(ctx, params("system", SNOMED, "code", "190330002"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		for _, want := range []string{`"valueBoolean":true`, `"replacedBy"`, `"44054006"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("lookup of an inactive concept lacks %s: %s", want, b)
			}
		}
		r, err = s.Lookup(ctx, params("coding", SNOMED+"|73211009"))
		if err != nil || paramValue(r, "display") != "Diabetes mellitus" {
			t.Fatalf("lookup = %v %v", r, err)
		}
		b, _ = json.Marshal(r)
		if !strings.Contains(string(b), `"363698007"`) || !strings.Contains(string(b), sctFSN) {
			t.Errorf("lookup lacks the attribute relationship or the FSN designation: %s", b)
		}
		if _, err := s.Lookup(ctx, params("system", SNOMED, "code", "999")); statusOf(err) != 404 {
			t.Errorf("unknown code: %v", err)
		}
		if _, err := s.Lookup(ctx, params("system", "http://example.org", "code", "1")); statusOf(err) != 404 {
			t.Errorf("unknown system: %v", err)
		}
		if _, err := s.Lookup(ctx, params("system", SNOMED)); statusOf(err) != 400 {
			t.Errorf("no code: %v", err)
		}
	})

	t.Run("subsumes", func(t *testing.T) {
		for _, tc := range []struct{ a, b, want string }{
			{"73211009", "44054006", "subsumes"},
			{"44054006", "404684003", "subsumed-by"},
			{"44054006", "44054006", "equivalent"},
			{"44054006", "38341003", "not-subsumed"},
		} {
			r, err := s.Subsumes(ctx, params("system", SNOMED, "codeA", tc.a, "codeB", tc.b))
			if err != nil || paramValue(r, "outcome") != tc.want {
				t.Errorf("%s %s: %v %v, want %s", tc.a, tc.b, r, err, tc.want)
			}
		}
		if _, err := s.Subsumes(ctx, params("system", SNOMED, "codeA", "1234567", "codeB", "44054006")); statusOf(err) != 400 {
			t.Errorf("unknown code: %v", err)
		}
	})

	t.Run("validate-code", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			p    url.Values
			want bool
		}{
			{"in hierarchy", params("url", SNOMED+"?fhir_vs=isa/73211009", "system", SNOMED, "code", "44054006"), true},
			{"outside hierarchy", params("url", SNOMED+"?fhir_vs=isa/73211009", "system", SNOMED, "code", "38341003"), false},
			{"synonym display", params("system", SNOMED, "code", "38341003", "display", "High blood pressure"), true},
			{"wrong display", params("system", SNOMED, "code", "38341003", "display", "Asthma"), false},
			{"unknown code", params("system", SNOMED, "code", "1234567"), false},
			{"inactive still valid", params("system", SNOMED, "code", "190330002"), true},
			{"R4 required binding", params("url", "http://hl7.org/fhir/ValueSet/administrative-gender", "code", "female"), true},
			{"R4 wrong code", params("url", "http://hl7.org/fhir/ValueSet/administrative-gender", "code", "f"), false},
		} {
			r, err := s.ValidateCode(ctx, tc.p, nil)
			if err != nil || paramValue(r, "result") != tc.want {
				t.Errorf("%s: %v %v, want %v", tc.name, r, err, tc.want)
			}
		}
	})
}

func TestStarterLoadsOnce(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s, _ := New(st)
	ctx := context.Background()
	first, err := LoadStarter(ctx, s.Store())
	if err != nil || len(first) != 3 {
		t.Fatalf("first load: %v %v", first, err)
	}
	again, err := LoadStarter(ctx, s.Store())
	if err != nil || len(again) != 0 {
		t.Fatalf("second load changed %v %v", again, err)
	}
	// A licensed release is never replaced by the starter set.
	testRelease(t, s.Store())
	again, err = LoadStarter(ctx, s.Store())
	if err != nil || len(again) != 0 {
		t.Fatalf("starter replaced a release: %v %v", again, err)
	}
	r, err := s.Expand(ctx, params("url", SNOMED+"?fhir_vs", "filter", "hypert"), nil)
	if err != nil || len(codesOf(r)) != 1 {
		t.Fatalf("%v %v", r, err)
	}
}

func TestParseECL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []include
		bad  bool
	}{
		{in: "<< 73211009", want: []include{{System: SNOMED, Below: []string{"73211009"}}}},
		{in: "<73211009|Diabetes mellitus|", want: []include{{System: SNOMED, Descendants: []string{"73211009"}}}},
		{in: "^ 999000011000000103 |Refset|", want: []include{{System: SNOMED, Refset: "999000011000000103"}}},
		{in: "73211009 OR (<< 38341003)", want: []include{{System: SNOMED, Codes: []string{"73211009"}}, {System: SNOMED, Below: []string{"38341003"}}}},
		{in: "*", want: []include{{System: SNOMED, All: true}}},
		{in: "> 73211009", bad: true},
		{in: "<< 73211009 : 363698007 = *", bad: true},
		{in: "<< 73211009 |open", bad: true},
		{in: "", bad: true},
		{in: "<< abc", bad: true},
	} {
		got, err := parseECL(SNOMED, tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted: %+v", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(tc.want)
		if string(gb) != string(wb) {
			t.Errorf("%q = %s, want %s", tc.in, gb, wb)
		}
	}
}

func FuzzParseECL(f *testing.F) {
	for _, s := range []string{"<< 73211009", "^ 1 OR < 2", "|x| OR", "(<<73211009|a|)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		incs, err := parseECL(SNOMED, s)
		if err == nil && len(incs) == 0 {
			t.Fatal("no error and no includes")
		}
	})
}
