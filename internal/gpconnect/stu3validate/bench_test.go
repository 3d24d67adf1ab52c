package stu3validate

import (
	"strings"
	"testing"
)

// BenchmarkBundle validates a Bundle of 450 profiled allergies, about the
// size of a rich structured record (the tests validate every response).
func BenchmarkBundle(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
	for i := 0; i < 450; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"resource":` + allergy + `}`)
	}
	sb.WriteString("]}")
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		issues, err := JSON(body)
		if err != nil || len(issues) > 0 {
			b.Fatal(err, issues)
		}
	}
}
