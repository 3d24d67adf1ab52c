package web

import "testing"

// TestSafeNext: only a path on this origin survives; anything a browser
// could resolve to another host, or that carries bytes a browser strips
// before resolving, becomes "/".
func TestSafeNext(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/auth/authorize?client_id=app&state=s1", "/auth/authorize?client_id=app&state=s1"},
		{"/", "/"},
		{"/fhir/Patient/p1", "/fhir/Patient/p1"},
		{"/%2F%2Fevil", "/%2F%2Fevil"}, // still encoded: a path segment, not an authority
		{"/a/b?next=//evil", "/a/b?next=//evil"},
		{"", "/"},
		{"evil.example", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/a\\b", "/"},
		{"/\t/evil.example", "/"}, // ?next=/%09/evil.example: browsers drop the tab and go to //evil.example
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"\t//evil.example", "/"},
		{"/\x00/evil", "/"},
		{"/\x7f/evil", "/"},
		{"/%09/evil", "/%09/evil"}, // encoded twice over the wire: stays a percent-escape in the path
		{"//evil", "/"},            // ?next=/%2F%2Fevil decoded
		{"/%2F/evil", "/%2F/evil"},
		{"https://evil.example/", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/javascript:alert(1)", "/javascript:alert(1)"}, // a path on this origin
		{"data:text/html,x", "/"},
		{" /x", "/"},
	} {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("safeNext(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
