package redaction

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestText(t *testing.T) {
	R := Replacement
	for _, tc := range []struct {
		name, text string
		phrases    []string
		want       string
	}{
		{"no phrases", "Low mood.", nil, "Low mood."},
		{"empty phrase ignored", "Low mood.", []string{""}, "Low mood."},
		{"one occurrence", "Low mood. Her husband's drinking worse.", []string{"Her husband's drinking"}, "Low mood. " + R + " worse."},
		{"every occurrence", "husband drinks; husband shouts", []string{"husband"}, R + " drinks; " + R + " shouts"},
		{"case-sensitive", "Husband drinks; husband shouts", []string{"husband"}, "Husband drinks; " + R + " shouts"},
		{"overlapping phrases merge", "her husband's drinking worse", []string{"her husband's", "husband's drinking"}, R + " worse"},
		{"touching phrases merge", "abcdef", []string{"abc", "def"}, R},
		{"nested phrase", "sister has HIV", []string{"sister has HIV", "HIV"}, R},
		{"overlapping occurrences of one phrase", "aaaa", []string{"aaa"}, R},
		{"not present", "Low mood.", []string{"husband"}, "Low mood."},
		{"multibyte", "Mam’s cancer — worried", []string{"Mam’s cancer"}, R + " — worried"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.text, tc.phrases); got != tc.want {
				t.Errorf("Text(%q, %q) = %q, want %q", tc.text, tc.phrases, got, tc.want)
			}
		})
	}
}

func entry(note string, exts ...any) map[string]any {
	r := map[string]any{"resourceType": "Observation", "id": "o1", "status": "final",
		"subject":     map[string]any{"reference": "Patient/p1"},
		"code":        map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "35361000000106", "display": "Comment note"}}},
		"valueString": note}
	if len(exts) > 0 {
		r["extension"] = exts
	}
	return r
}

func decode(t *testing.T, s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheck(t *testing.T) {
	when := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := entry("Low mood. Her husband's drinking is worse. Tom & Jerry")
	done := Add(e, "husband's drinking", "Practitioner/gp", "Dr A Patel", when)
	for _, tc := range []struct {
		name   string
		res    map[string]any
		phrase string
		want   string
	}{
		{"empty", e, "", "Enter the exact words to remove from online access"},
		{"spaces only", e, "   ", "Enter the exact words to remove from online access"},
		{"too short", e, "Lo", "Enter at least 3 characters, copied exactly from the entry"},
		{"occurs", e, "husband's drinking", ""},
		{"does not occur", e, "wife's drinking", "The phrase does not occur in the entry"},
		{"case differs", e, "Husband's drinking", "The phrase does not occur in the entry"},
		{"ampersand as typed", e, "Tom & Jerry", ""},
		{"already redacted", done, "husband's drinking", "These words are already removed from online access"},
		{"a second phrase", done, "Low mood", ""},
		{"part of the code's term", e, "Comment note", "The phrase is part of a clinical code's term, which cannot be removed on its own: remove words from the note instead"},
		{"in a reference, not text", e, "Patient/p1", "The phrase does not occur in the entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Check(tc.res, tc.phrase); got != tc.want {
				t.Errorf("Check(%q) = %q, want %q", tc.phrase, got, tc.want)
			}
		})
	}
}

func TestAddRemoveAndOf(t *testing.T) {
	when := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := entry("Her husband's drinking is worse.", map[string]any{"url": "https://example.org/other", "valueString": "kept"})
	a := Add(e, "husband's drinking", "Practitioner/gp", "Dr A Patel", when)
	if len(anyList(e["extension"])) != 1 {
		t.Fatal("Add changed its argument")
	}
	got := Of(a)
	if len(got) != 1 || got[0] != (Redaction{Phrase: "husband's drinking", Author: "Dr A Patel", AuthorID: "Practitioner/gp", Recorded: "2026-12-01T10:00:00Z"}) {
		t.Fatalf("Of = %+v", got)
	}
	b, found := Remove(a, "husband's drinking")
	if !found || Has(b) || len(anyList(b["extension"])) != 1 {
		t.Fatalf("Remove: found %v, left %v", found, b["extension"])
	}
	if _, found := Remove(a, "nothing"); found {
		t.Error("Remove found a phrase never added")
	}
}

func TestMissingAfterAmendment(t *testing.T) {
	when := time.Now()
	e := Add(entry("Her husband's drinking is worse."), "husband's drinking", "Practitioner/gp", "Dr A", when)
	if m := Missing(e); len(m) != 0 {
		t.Fatalf("Missing before amendment = %q", m)
	}
	e["valueString"] = "Her partner's drinking is worse."
	if m := Missing(e); len(m) != 1 || m[0] != "husband's drinking" {
		t.Fatalf("Missing after amendment = %q", m)
	}
}

func TestForPatient(t *testing.T) {
	when := time.Now()
	phrase := `sister's "HIV" <test> & result`
	e := decode(t, `{"resourceType":"DocumentReference","id":"d1","status":"current",
		"subject":{"reference":"Patient/p1"},
		"description":"Letter: sister's \"HIV\" <test> & result discussed",
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>sister&#39;s &quot;HIV&quot; &lt;test&gt; &amp; result</p><p>sister's <b>\"HIV\" &lt;test&gt;</b> &amp; result</p></div>"},
		"note":[{"text":"sister's \"HIV\" <test> & result"}],
		"content":[{"attachment":{"contentType":"application/pdf","url":"Binary/b1","title":"Clinic letter","size":100}}]}`)
	e = Add(e, phrase, "Practitioner/gp", "Dr A", when)
	before, _ := json.Marshal(e)
	got := ForPatient(e)
	after, _ := json.Marshal(e)
	if string(before) != string(after) {
		t.Fatal("ForPatient changed its argument")
	}
	body, _ := json.Marshal(got)
	for _, leak := range []string{"HIV", OnlineRedactionURL, "Binary/b1"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("patient view contains %q: %s", leak, body)
		}
	}
	if d, _ := got["description"].(string); d != "Letter: "+Replacement+" discussed" {
		t.Errorf("description = %q", d)
	}
	div := got["text"].(map[string]any)["div"].(string)
	if !strings.Contains(div, "[words removed by your GP surgery]") {
		t.Errorf("div = %q", div)
	}
	att := got["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	if !strings.Contains(att["title"].(string), "not available online") {
		t.Errorf("attachment title = %q", att["title"])
	}
	if got["subject"].(map[string]any)["reference"] != "Patient/p1" || got["id"] != "d1" {
		t.Error("identifiers changed")
	}

	plain := entry("Nothing to hide")
	if out := ForPatient(plain); out["valueString"] != "Nothing to hide" {
		t.Error("an entry without redactions changed")
	}
	// A later version's phrases redact an earlier version that lacks them.
	if out := ForPatient(entry("Her husband's drinking"), "husband's drinking"); out["valueString"] != "Her "+Replacement {
		t.Errorf("earlier version = %q", out["valueString"])
	}
}

func TestSpans(t *testing.T) {
	got := Spans("a husband b", []string{"husband"})
	if len(got) != 3 || got[1] != (Span{"husband", true}) || got[0].Marked || got[2].Marked {
		t.Fatalf("Spans = %+v", got)
	}
}

func TestTexts(t *testing.T) {
	e := entry("Her husband's drinking")
	e["effectiveDateTime"] = "2026-12-01T22:58:45Z"
	e["note"] = []any{map[string]any{"text": "Her husband's drinking"}, map[string]any{"text": "Seen with daughter"}}
	got := Texts(Add(e, "husband's", "Practitioner/gp", "Dr A", time.Now()))
	// note, valueString; the repeated text once; not the code's term,
	// the date or the redaction's own phrase.
	want := []string{"Her husband's drinking", "Seen with daughter"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Texts = %q, want %q", got, want)
	}
}
