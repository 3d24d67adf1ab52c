package sqlstore

// queries are the fixed statements, rebound for the dialect once.
type queries struct {
	read string // current version by type and id
	// lock locks a current-version row inside a write transaction and
	// returns its version. It is a statement of its own: PostgreSQL
	// re-checks a locked row that another transaction changed, but not the
	// rows a join matched against the old one, so lock then read.
	lock    string
	vread   string
	advance string // move a current-version row from one version to the next
}

func newQueries(d *Dialect) queries {
	current := `SELECT ` + versionColumns + ` FROM resource_current c
		JOIN resource_version v ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id
		WHERE c.type = ? AND c.id = ?`
	var lock string
	if d.ReadLock != "" {
		lock = d.rebind(`SELECT c.version_id FROM resource_current c WHERE c.type = ? AND c.id = ? ` + d.ReadLock)
	}
	return queries{
		read:    d.rebind(current),
		lock:    lock,
		advance: d.rebind(`UPDATE resource_current SET version_id = ?, deleted = ? WHERE type = ? AND id = ? AND version_id = ?`),
		vread:   d.rebind(`SELECT ` + versionColumns + ` FROM resource_version v WHERE v.type = ? AND v.id = ? AND v.version_id = ?`),
	}
}
