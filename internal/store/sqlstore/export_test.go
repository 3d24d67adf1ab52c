package sqlstore

// SetKeyedChainRows sets keyedChainRows for a test and returns what
// puts it back (-1: the chain always leads).
func SetKeyedChainRows(n int) (restore func()) {
	old := keyedChainRows
	keyedChainRows = n
	return func() { keyedChainRows = old }
}

// SetStreamRows sets streamLeadRows and streamWalkRows for a test and
// returns what puts them back.
func SetStreamRows(lead, walk int) (restore func()) {
	oldLead, oldWalk := streamLeadRows, streamWalkRows
	streamLeadRows, streamWalkRows = lead, walk
	return func() { streamLeadRows, streamWalkRows = oldLead, oldWalk }
}

// StreamedPages is the number of first pages streamed so far.
func StreamedPages() int64 { return streamedPages.Load() }

// PatientLookupSQL is the statement looking up n patients' numbers in
// resource_key ("?" placeholders).
func PatientLookupSQL(n int) string { return patientNumbers.lookup(n) }
