package fhir

// ControlChar returns the byte offset of the first character a FHIR string
// may not hold, or -1. R4 forbids code points below U+0020 other than tab,
// LF and CR (http://hl7.org/fhir/R4/datatypes.html#string). Refusing them
// at the door also keeps the stores alike: PostgreSQL cannot keep U+0000
// in a text column at all, SQLite can.
func ControlChar(s string) int {
	for i := 0; i < len(s); i++ {
		// Bytes below 0x20 are never part of a multi-byte UTF-8 sequence.
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return -1
}
