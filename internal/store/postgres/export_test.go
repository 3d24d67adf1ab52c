package postgres

// ByteOrderedKeys is the tenth migration, for the test that takes a store
// back from it.
const ByteOrderedKeys = byteOrderedKeys

// OpenNumbersPool is openNumbersPool, for the test of its settings.
var OpenNumbersPool = openNumbersPool
