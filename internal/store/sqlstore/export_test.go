package sqlstore

// SetKeyedChainRows sets keyedChainRows for a test and returns what
// puts it back.
func SetKeyedChainRows(n int) (restore func()) {
	old := keyedChainRows
	keyedChainRows = n
	return func() { keyedChainRows = old }
}
