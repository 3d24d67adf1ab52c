// Package storetest is the conformance suite every store.Store adapter
// passes, plus helpers that give tests a fresh PostgreSQL schema. One
// suite for all adapters is what keeps SQLite and PostgreSQL behaving
// the same, so that a practice can move between them with nothing lost.
package storetest
