package sqlstore

// How the statements name a resource. Today an index row names its
// resource by type and id, a reference row its target by target_type and
// target_id, and a search passes the resources it selects on as an id
// column beside a type it binds. The integer-key stage (doc.go, "Where
// the statements name resources today") names them all by rid instead;
// the statement builder names them through these helpers, so that the
// stage changes what each writes rather than every statement that uses
// them.

// keyOf is the column naming the resource row x is of: an index row's
// owner, or a resource_current row's own (its id; its type is the row's
// type column). What a search passes on as idCol is such a column.
func keyOf(x string) string { return x + ".id" }

// targetOf is the column naming the resource reference row r refers to
// (its id; its type is target_type).
func targetOf(r string) string { return r + ".target_id" }

// ownedBy writes that index row x belongs to the resource of type typ
// that key (a column, as keyOf gives) names.
func (sb *sqlBuilder) ownedBy(x, typ, key string) {
	sb.w(x+`.type = ? AND `+keyOf(x)+` = `+key, typ)
}

// ownedByRowOf writes that index row x belongs to the resource
// resource_current row (or index row) c is of.
func (sb *sqlBuilder) ownedByRowOf(x, c string) {
	sb.w(x + `.type = ` + c + `.type AND ` + keyOf(x) + ` = ` + keyOf(c))
}

// ownedByA writes that index row x belongs to the resource key (a
// column) names, of type typ written as a literal (a constant of the
// package's, never a caller's).
func (sb *sqlBuilder) ownedByA(x, typ, key string) {
	sb.w(x + `.type = '` + typ + `' AND ` + keyOf(x) + ` = ` + key)
}

// isTargetOf writes that row t (of resource_current or an index table)
// is of the resource reference row r refers to.
func (sb *sqlBuilder) isTargetOf(t, r string) {
	sb.w(t + `.type = ` + r + `.target_type AND ` + keyOf(t) + ` = ` + targetOf(r))
}

// idsIn writes that key, a column naming resources of typ, names one of
// ids (" NOT IN" with not). typ is not written while keys are ids: it
// is what maps the ids to rids once keys are rids.
func (sb *sqlBuilder) idsIn(key, typ string, ids []string, not bool) {
	op := ` IN (`
	if not {
		op = ` NOT IN (`
	}
	sb.w(key+op+placeholders(len(ids))+`)`, anySlice(ids)...)
}

// targetIs writes that reference row r refers to the resource typ/id;
// with typ "", to a resource of any type with that id.
func (sb *sqlBuilder) targetIs(r, typ, id string) {
	if typ == "" {
		sb.w(targetOf(r)+` = ?`, id)
		return
	}
	sb.w(targetOf(r)+` = ? AND `+r+`.target_type = ?`, id, typ)
}

// targetIn writes that reference row r refers to one of the resources
// of typ that ids names.
func (sb *sqlBuilder) targetIn(r, typ string, ids []string) {
	sb.w(r+`.target_type = ? AND `, typ)
	sb.idsIn(targetOf(r), typ, ids, false)
}
