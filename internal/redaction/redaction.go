// Package redaction removes words a clinician has marked within an entry
// (information about someone else, or that would harm the patient) from
// what the patient and their proxies read online, and shows staff where
// they are. CLINICAL.md Patient portal 2: "all or nothing" was the BMA's
// complaint about hiding whole entries.
//
// The model: each phrase is an extension on the entry itself
// (OnlineRedactionURL, repeating, sub-extensions phrase, author and
// recorded), so a redaction is versioned, audited and amended with the
// entry it belongs to and travels with it through an export or import.
// A phrase is matched exactly, case-sensitively, and every occurrence of
// it anywhere in the entry's free text is replaced (the note, a code's
// text typed by hand, a letter's description, a narrative), because a
// phrase left in one element leaks as surely as one left in the note.
//
// The rule lives here, below internal/service, not in internal/clinical:
// the service applies it to everything it returns to a patient or proxy
// (read, search, includes, history), and clinical depends on the service.
package redaction

import (
	"html"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// OnlineRedactionURL is the extension marking one phrase of an entry as
// removed from online access.
const OnlineRedactionURL = "https://gpcloud.dev/fhir/StructureDefinition/online-redaction"

// Replacement is what the patient reads in place of a removed phrase.
// It says that something was removed and by whom, and not why: "about
// someone else" would be wrong for words withheld because they would
// harm the patient, and a reason invites the question the clinician
// decided not to answer online.
const Replacement = "[words removed by your GP surgery]"

// MinLength is the shortest phrase accepted: a letter or two would
// blank out every word that contains it.
const MinLength = 3

// Redaction is one marked phrase, with who marked it and when.
type Redaction struct {
	Phrase   string
	Author   string // the author's display name
	AuthorID string // their reference
	Recorded string // FHIR dateTime
}

// Of returns the redactions recorded on an entry, in the order added.
func Of(res map[string]any) []Redaction {
	var out []Redaction
	for _, x := range anyList(res["extension"]) {
		ext, _ := x.(map[string]any)
		if ext["url"] != OnlineRedactionURL {
			continue
		}
		var r Redaction
		for _, s := range anyList(ext["extension"]) {
			sub, _ := s.(map[string]any)
			switch sub["url"] {
			case "phrase":
				r.Phrase, _ = sub["valueString"].(string)
			case "author":
				ref, _ := sub["valueReference"].(map[string]any)
				r.Author, _ = ref["display"].(string)
				r.AuthorID, _ = ref["reference"].(string)
			case "recorded":
				r.Recorded, _ = sub["valueDateTime"].(string)
			}
		}
		if r.Phrase != "" {
			out = append(out, r)
		}
	}
	return out
}

// Phrases returns the phrases redacted on an entry.
func Phrases(res map[string]any) []string {
	var out []string
	for _, r := range Of(res) {
		out = append(out, r.Phrase)
	}
	return out
}

// Has reports whether an entry carries any redaction.
func Has(res map[string]any) bool { return len(Of(res)) > 0 }

// Check says why a phrase cannot be redacted on an entry, or "". The
// phrase must occur in the entry's free text exactly as typed; it must
// not be a clinical code's own term (that would hide what the entry is:
// hide the whole entry instead); and it is not added twice.
func Check(res map[string]any, phrase string) string {
	switch {
	case strings.TrimSpace(phrase) == "":
		return "Enter the exact words to remove from online access"
	case len([]rune(strings.TrimSpace(phrase))) < MinLength:
		return "Enter at least 3 characters, copied exactly from the entry"
	}
	for _, p := range Phrases(res) {
		if p == phrase {
			return "These words are already removed from online access"
		}
	}
	if !Occurs(res, phrase) {
		return "The phrase does not occur in the entry"
	}
	if inCodedTerm(res, phrase) {
		return "The phrase is part of a clinical code's term, which cannot be removed on its own: remove words from the note instead"
	}
	return ""
}

// Add returns a copy of res with phrase redacted by author at when. The
// caller checks the phrase first (Check).
func Add(res map[string]any, phrase, authorRef, authorName string, when time.Time) map[string]any {
	out := shallow(res)
	ext := map[string]any{"url": OnlineRedactionURL, "extension": []any{
		map[string]any{"url": "phrase", "valueString": phrase},
		map[string]any{"url": "author", "valueReference": map[string]any{"reference": authorRef, "display": authorName}},
		map[string]any{"url": "recorded", "valueDateTime": when.UTC().Format(time.RFC3339)},
	}}
	out["extension"] = append(append([]any(nil), anyList(res["extension"])...), ext)
	return out
}

// Remove returns a copy of res without the redaction of phrase, and
// whether there was one.
func Remove(res map[string]any, phrase string) (map[string]any, bool) {
	out := shallow(res)
	var kept []any
	found := false
	for _, x := range anyList(res["extension"]) {
		ext, _ := x.(map[string]any)
		if ext["url"] == OnlineRedactionURL && phraseOf(ext) == phrase {
			found = true
			continue
		}
		kept = append(kept, x)
	}
	if len(kept) == 0 {
		delete(out, "extension")
	} else {
		out["extension"] = kept
	}
	return out, found
}

func phraseOf(ext map[string]any) string {
	for _, s := range anyList(ext["extension"]) {
		if sub, _ := s.(map[string]any); sub["url"] == "phrase" {
			p, _ := sub["valueString"].(string)
			return p
		}
	}
	return ""
}

// Missing are the redacted phrases that no longer occur in the entry's
// free text (an amendment rewrote the note): reported to staff, never
// dropped silently, as the clinician may need to mark the new words.
func Missing(res map[string]any) []string {
	var out []string
	for _, p := range Phrases(res) {
		if !Occurs(res, p) {
			out = append(out, p)
		}
	}
	return out
}

// Occurs reports whether phrase occurs in any free text of the entry (a
// narrative is read as text: tags dropped, entities decoded).
func Occurs(res map[string]any, phrase string) bool {
	if phrase == "" {
		return false
	}
	found := false
	eachText(res, "", func(key, s string) {
		if key == "div" {
			s = narrativeText(s)
		}
		found = found || strings.Contains(s, phrase)
	})
	return found
}

// Text replaces every occurrence of the phrases in s with Replacement.
// Overlapping or touching occurrences of different phrases become one
// replacement, so no part of either is left between them.
func Text(s string, phrases []string) string {
	var b strings.Builder
	for _, sp := range Spans(s, phrases) {
		if sp.Marked {
			b.WriteString(Replacement)
		} else {
			b.WriteString(sp.Text)
		}
	}
	return b.String()
}

// Span is a run of text, marked when it is redacted.
type Span struct {
	Text   string
	Marked bool
}

// Spans splits s into runs, the occurrences of the phrases (merged where
// they overlap or touch) marked: the staff view highlights them, and
// Text replaces them.
func Spans(s string, phrases []string) []Span {
	type iv struct{ from, to int }
	var ivs []iv
	for _, p := range phrases {
		if p == "" {
			continue
		}
		for i := 0; i+len(p) <= len(s); {
			j := strings.Index(s[i:], p)
			if j < 0 {
				break
			}
			ivs = append(ivs, iv{i + j, i + j + len(p)})
			i += j + 1 // overlapping occurrences of one phrase too
		}
	}
	if len(ivs) == 0 {
		return []Span{{Text: s}}
	}
	sort.Slice(ivs, func(a, b int) bool { return ivs[a].from < ivs[b].from })
	merged := []iv{ivs[0]}
	for _, v := range ivs[1:] {
		last := &merged[len(merged)-1]
		if v.from <= last.to {
			last.to = max(last.to, v.to)
			continue
		}
		merged = append(merged, v)
	}
	var out []Span
	at := 0
	for _, v := range merged {
		if v.from > at {
			out = append(out, Span{Text: s[at:v.from]})
		}
		out = append(out, Span{Text: s[v.from:v.to], Marked: true})
		at = v.to
	}
	if at < len(s) {
		out = append(out, Span{Text: s[at:]})
	}
	return out
}

// escapedForms are the ways a phrase may be written in XHTML: as typed,
// and with its special characters as entities (named or numbered).
func escapedForms(p string) []string {
	forms := []string{p, html.EscapeString(p)}
	alt := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(p)
	alt2 := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#x22;", "'", "&#x27;").Replace(p)
	return append(forms, alt, alt2)
}

var tag = regexp.MustCompile(`<[^>]*>`)

// narrativeText is an XHTML narrative as its reader sees it.
func narrativeText(div string) string {
	return html.UnescapeString(tag.ReplaceAllString(div, ""))
}

// skipKeys hold identifiers and machine values, never free text: a
// phrase is not looked for or replaced in them (replacing inside a
// reference would break the record, not hide words).
var skipKeys = map[string]bool{"resourceType": true, "id": true, "reference": true, "system": true, "url": true,
	"code": true, "version": true, "versionId": true, "lastUpdated": true, "data": true, "contentType": true,
	"language": true, "hash": true, "fullUrl": true, "profile": true, "status": true}

// fhirDate matches a FHIR date, dateTime or instant: a machine value
// that holds no words, left out like skipKeys.
var fhirDate = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$`)

// freeText reports whether a string under key may hold words.
func freeText(key, s string) bool { return !skipKeys[key] && !fhirDate.MatchString(s) }

// walkText calls f on every free-text string of v (in maps and lists,
// not under skipKeys, not within the redaction extensions themselves)
// and stores what f returns: only ever on a copy (ForPatient).
func walkText(v any, key string, f func(key, s string) string) any {
	switch t := v.(type) {
	case string:
		if !freeText(key, t) {
			return t
		}
		return f(key, t)
	case map[string]any:
		if t["url"] == OnlineRedactionURL {
			return t
		}
		for k, x := range t {
			t[k] = walkText(x, k, f)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = walkText(x, key, f)
		}
		return t
	}
	return v
}

// eachText calls f on every free-text string of v, as walkText does,
// changing nothing.
func eachText(v any, key string, f func(key, s string)) {
	switch t := v.(type) {
	case string:
		if freeText(key, t) {
			f(key, t)
		}
	case map[string]any:
		if t["url"] == OnlineRedactionURL {
			return
		}
		for k, x := range t {
			eachText(x, k, f)
		}
	case []any:
		for _, x := range t {
			eachText(x, key, f)
		}
	}
}

// inCodedTerm reports a phrase within a coding's display: the term of
// the code itself.
func inCodedTerm(v any, phrase string) bool {
	switch t := v.(type) {
	case map[string]any:
		if d, ok := t["display"].(string); ok && t["code"] != nil && strings.Contains(d, phrase) {
			return true
		}
		for _, x := range t {
			if inCodedTerm(x, phrase) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if inCodedTerm(x, phrase) {
				return true
			}
		}
	}
	return false
}

// ForPatient returns the entry as a patient or proxy may read it: a deep
// copy with every occurrence of its redacted phrases (and of extra, the
// phrases of a later version when an earlier one is read) replaced and
// the redaction extensions themselves removed (they name the phrase).
// A narrative that still holds a phrase once its escaped forms are
// replaced (split by markup) is replaced whole, and an attachment's
// content (a file, which cannot be redacted here) is withheld: its data
// and url are removed and its title says why. An entry without
// redactions is returned as it is.
func ForPatient(res map[string]any, extra ...string) map[string]any {
	phrases := append(Phrases(res), extra...)
	if len(phrases) == 0 {
		return res
	}
	out, _ := fhir.DeepCopy(res).(map[string]any)
	out["extension"] = withoutRedactions(anyList(out["extension"]))
	if len(anyList(out["extension"])) == 0 {
		delete(out, "extension")
	}
	var forms []string
	for _, p := range phrases {
		forms = append(forms, escapedForms(p)...)
	}
	walkText(out, "", func(key, s string) string {
		if key != "div" {
			return Text(s, phrases)
		}
		s = Text(s, forms)
		text := narrativeText(s)
		for _, p := range phrases {
			if strings.Contains(text, p) {
				return `<div xmlns="http://www.w3.org/1999/xhtml"><p>` + html.EscapeString(Replacement) + `</p></div>`
			}
		}
		return s
	})
	withholdAttachments(out)
	return out
}

// withholdAttachments removes the content of every attachment in v.
func withholdAttachments(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if a, ok := x.(map[string]any); ok && k == "attachment" {
				for _, drop := range []string{"data", "url", "hash", "size"} {
					delete(a, drop)
				}
				a["title"] = strings.TrimSpace(str(a["title"]) + " (the file is not available online: ask your GP surgery)")
				continue
			}
			withholdAttachments(x)
		}
	case []any:
		for _, x := range t {
			withholdAttachments(x)
		}
	}
}

func withoutRedactions(exts []any) []any {
	var out []any
	for _, x := range exts {
		if m, _ := x.(map[string]any); m["url"] != OnlineRedactionURL {
			out = append(out, x)
		}
	}
	return out
}

func shallow(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Texts returns the entry's free text, each distinct string once, in a
// stable order (by element name), a narrative as its text and codes'
// terms left out: what the staff page shows so that the clinician can
// copy the exact words.
func Texts(res map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch t := v.(type) {
		case string:
			if !freeText(key, t) || key == "display" {
				return // a code's term is not redacted on its own (Check)
			}
			if key == "div" {
				t = strings.TrimSpace(narrativeText(t))
			}
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		case map[string]any:
			if t["url"] == OnlineRedactionURL {
				return
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(t[k], k)
			}
		case []any:
			for _, x := range t {
				walk(x, key)
			}
		}
	}
	walk(res, "")
	return out
}
