package sqlstore

import "github.com/gpcloud/gpcloud/internal/fhir/definitions"

// How the statements name a resource: by its rid (resource_key; the
// nineteenth migration, RowsByRIDSchema). An index row names its
// resource by rid, a reference row its target by target_rid (0 for a
// reference to no resource the store can name: a URL, a contained or
// logical reference), and resource_current holds each resource's rid
// beside its (type, id). A search passes the resources it selects on as
// a rid column. Ids enter a statement only at its edges (a query's own
// ids, mapped to rids through resource_key in the statement) and leave
// it when a page's versions are read by (type, id). The statement
// builder names resources through these helpers.

// keyOf is the column naming the resource row x is of: an index row's
// owner, or a resource_current row's own. What a search passes on as
// idCol is such a column.
func keyOf(x string) string { return x + ".rid" }

// targetOf is the column naming the resource reference row r refers to.
func targetOf(r string) string { return r + ".target_rid" }

// ownedBy writes that index row x belongs to the resource key (a rid
// column, as keyOf gives) names. The rid implies the type: the owner
// index is led by the rid alone.
func (sb *sqlBuilder) ownedBy(x, key string) {
	sb.w(keyOf(x) + ` = ` + key)
}

// ownedByRowOf writes that index row x belongs to the resource
// resource_current row (or index row) c is of.
func (sb *sqlBuilder) ownedByRowOf(x, c string) { sb.ownedBy(x, keyOf(c)) }

// isTargetOf writes that row t (of resource_current or an index table)
// is of the resource reference row r refers to.
func (sb *sqlBuilder) isTargetOf(t, r string) {
	sb.w(keyOf(t) + ` = ` + targetOf(r))
}

// idsIn writes that key, a rid column naming resources of typ, names one
// of the resources of typ that ids name (" NOT IN" with not): the ids
// mapped to their rids in the statement. An id the store never named
// matches nothing. c's own rid (resource_current's, or the matches',
// which carry the id too) is compared by its id instead, on the primary
// key: mapped to rids beside c's type, SQLite could read every resource
// of the type (doc.go, the plan rules).
func (sb *sqlBuilder) idsIn(key, typ string, ids []string, not bool) {
	op := ` IN (`
	if not {
		op = ` NOT IN (`
	}
	if key == keyOf("c") {
		sb.w(`c.id`+op+placeholders(len(ids))+`)`, anySlice(ids)...)
		return
	}
	k := sb.nextAlias("k")
	sb.w(key+op+`SELECT `+k+`.rid FROM resource_key `+k+` WHERE `+k+`.type = ? AND `+k+`.id IN (`+placeholders(len(ids))+`))`,
		append([]any{typ}, anySlice(ids)...)...)
}

// ridOf writes the rid of the resource typ/id, mapped in the statement: a
// scalar subquery, NULL (equal to nothing) for a name the store never
// gave a rid.
func (sb *sqlBuilder) ridOf(typ, id string) {
	k := sb.nextAlias("k")
	sb.w(`(SELECT `+k+`.rid FROM resource_key `+k+` WHERE `+k+`.type = ? AND `+k+`.id = ?)`, typ, id)
}

// targetIs writes that reference row r refers to the resource typ/id;
// with typ "", to a resource with that id of one of anyOf (every type
// when anyOf is empty): resource_key is read by (type, id), never by id
// alone, for which it has no index.
func (sb *sqlBuilder) targetIs(r, typ, id string, anyOf []string) {
	if typ != "" {
		sb.w(targetOf(r) + ` = `)
		sb.ridOf(typ, id)
		return
	}
	if len(anyOf) == 0 {
		anyOf = definitions.ResourceTypes()
	}
	k := sb.nextAlias("k")
	sb.w(targetOf(r)+` IN (SELECT `+k+`.rid FROM resource_key `+k+` WHERE `+k+`.type IN (`+placeholders(len(anyOf))+`) AND `+k+`.id = ?)`,
		append(anySlice(anyOf), id)...)
}

// targetIn writes that reference row r refers to one of the resources
// of typ that ids names.
func (sb *sqlBuilder) targetIn(r, typ string, ids []string) {
	sb.idsIn(targetOf(r), typ, ids, false)
}
