package search

import "unicode/utf8"

// MaxIndexBytes bounds every text value an index row keeps (string,
// token code, system and text, reference id and URL, uri, quantity
// units, composite codes). PostgreSQL refuses a btree entry over 2,704
// bytes (a third of a page) and so refused resources SQLite took; the
// widest lookup index, the token index's (type, param, code, system),
// holds two such values, about 1.1 KB at most with this bound. Values
// longer than this are indexed by their first MaxIndexBytes bytes, and
// search values are cut the same way when a query is compiled: a search
// matches every value that shares those bytes. The resource itself is
// stored whole. Real values are far shorter: codes, identifiers and names
// run to tens of bytes, URLs and display texts to a few hundred.
const MaxIndexBytes = 512

// IndexPrefix returns s cut to at most MaxIndexBytes bytes, at a UTF-8
// character boundary: the form in which an index keeps s and a query
// compares against it.
func IndexPrefix(s string) string {
	if len(s) <= MaxIndexBytes {
		return s
	}
	i := MaxIndexBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
