package fhir

import (
	"regexp"
	"testing"
)

func TestNewUUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := NewUUID()
		if !v4.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID() = %q (a version 4 UUID, never repeated)", u)
		}
		seen[u] = true
	}
}
