package definitions

// Code is one member of a value set.
type Code struct{ System, Code string }

// ValueSetCodes returns the members of a value set bound with strength
// required somewhere in R4, and whether the set is known and enumerable.
// Callers skip the check when ok is false.
func ValueSetCodes(url string) (codes []Code, ok bool) {
	codes, ok = valueSetTable[url]
	return codes, ok
}

// ValueSetURLs returns the URLs of the value sets ValueSetCodes knows, in
// no particular order (the terminology service loads their code systems).
func ValueSetURLs() []string {
	urls := make([]string, 0, len(valueSetTable))
	for u := range valueSetTable {
		urls = append(urls, u)
	}
	return urls
}
