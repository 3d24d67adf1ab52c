package sqlstore

// SetKeyedChainRows sets keyedChainRows for a test and returns what
// puts it back (-1: the chain always leads).
func SetKeyedChainRows(n int) (restore func()) {
	old := keyedChainRows
	keyedChainRows = n
	return func() { keyedChainRows = old }
}
