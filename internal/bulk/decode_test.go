package bulk

import (
	"context"
	"strings"
	"testing"
)

// TestImportRefusesWhatFHIRJSONForbids: files are parsed as strictly as
// the API parses a body. A line or Bundle naming a member twice, or a
// line that is not an object, is reported with its file and line, and
// the rest is imported.
func TestImportRefusesWhatFHIRJSONForbids(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Patient.ndjson", `{"resourceType":"Patient","id":"p1"}
{"resourceType":"Patient","id":"p2","gender":"male","gender":"female"}
["resourceType","Patient"]
{"resourceType":"Patient","id":"p4"}
`)
	writeFile(t, dir, "twice.json", `{"resourceType":"Bundle","type":"collection","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"p5"}}]}`)
	sink, _ := newSink(t)
	res, err := Import(context.Background(), sink, []string{dir}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	joined := problemLines(res)
	for _, want := range []string{
		`Patient.ndjson:2: not a JSON object: invalid JSON at offset`,
		`duplicate member "gender"`,
		`Patient.ndjson:3: not a JSON object: a JSON value that is not an object`,
		`twice.json: invalid JSON at offset`,
		`duplicate member "type"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q among the problems:\n%s", want, joined)
		}
	}
	if len(res.Problems) != 3 || res.ByType["Patient"] != 2 {
		t.Errorf("%d problems, %d Patients imported; want 3 and 2 (p1, p4)", len(res.Problems), res.ByType["Patient"])
	}
}
