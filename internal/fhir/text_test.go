package fhir

import "testing"

func TestControlChar(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"Jane Smith", -1},
		{"line 1\nline 2\r\n\tindented", -1},
		{"Brontë 日本", -1},
		{"\x7f", -1}, // DEL is not below U+0020
		{"a\x00", 1},
		{"\x01", 0},
		{"form\ffeed", 4},
		{"vertical\vtab", 8},
		{"é\x1f", 2},
	}
	for _, tt := range tests {
		if got := ControlChar(tt.in); got != tt.want {
			t.Errorf("ControlChar(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
