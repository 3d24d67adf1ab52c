package sqlstore

import "strings"

// TerminologySchema is the seventh migration: code systems loaded as
// releases (see store.Terminology). Every row carries its release id, so a
// new release is written beside the current one and switched to by
// rewriting one row of term_current. term_word holds each distinct word of
// each description, for the typeahead's word-prefix search (portable:
// neither SQLite's FTS nor PostgreSQL's trigrams), with the word's first
// three letters (p3) and the description's rank (termRank) so that a
// common prefix is read best first and the search stops early; its
// lookup and probe indexes hold the description id, so that the other
// typed words are checked in the index alone. active columns are
// integers (0/1) on both engines.
func TerminologySchema(t ColumnTypes) string {
	ddl := `CREATE TABLE term_release (release_id {I} PRIMARY KEY, source {K} NOT NULL, version {T} NOT NULL, loaded {I} NOT NULL);
	CREATE TABLE term_current (source {K} PRIMARY KEY, release_id {I} NOT NULL);
	CREATE TABLE term_system (release_id {I} NOT NULL, system {K} NOT NULL, PRIMARY KEY (release_id, system));
	CREATE TABLE term_concept (release_id {I} NOT NULL, system {K} NOT NULL, code {K} NOT NULL, active {I} NOT NULL,
		module {T} NOT NULL, effective {T} NOT NULL, kind {T} NOT NULL, display {T} NOT NULL, props {T} NOT NULL,
		PRIMARY KEY (release_id, system, code));
	CREATE TABLE term_description (release_id {I} NOT NULL, desc_id {K} NOT NULL, system {K} NOT NULL, code {K} NOT NULL,
		term {T} NOT NULL, kind {I} NOT NULL, lang {T} NOT NULL, active {I} NOT NULL,
		PRIMARY KEY (release_id, desc_id));
	CREATE INDEX term_description_concept ON term_description (release_id, system, code);
	CREATE TABLE term_word (release_id {I} NOT NULL, word {T} NOT NULL, desc_id {K} NOT NULL, p3 {T} NOT NULL, rank {I} NOT NULL);
	CREATE INDEX term_word_lookup ON term_word (release_id, word, desc_id);
	CREATE INDEX term_word_probe ON term_word (release_id, desc_id, word);
	CREATE INDEX term_word_ranked ON term_word (release_id, p3, rank, word, desc_id);
	CREATE TABLE term_relationship (release_id {I} NOT NULL, system {K} NOT NULL, source {K} NOT NULL, type {K} NOT NULL,
		destination {K} NOT NULL, grp {I} NOT NULL);
	CREATE INDEX term_relationship_source ON term_relationship (release_id, system, source, type);
	CREATE INDEX term_relationship_destination ON term_relationship (release_id, system, type, destination);
	CREATE TABLE term_association (release_id {I} NOT NULL, system {K} NOT NULL, source {K} NOT NULL, refset {K} NOT NULL, target {K} NOT NULL);
	CREATE INDEX term_association_source ON term_association (release_id, system, source);
	CREATE TABLE term_member (release_id {I} NOT NULL, refset {K} NOT NULL, code {K} NOT NULL);
	CREATE INDEX term_member_lookup ON term_member (release_id, refset, code)`
	return strings.NewReplacer("{K}", t.Key, "{T}", t.Text, "{I}", t.Integer).Replace(ddl)
}
