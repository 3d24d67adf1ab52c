package workspace

// pageNames are the workspace's page templates.
var pageNames = []string{"message", "find", "record"}

// routes lists every page: one handler per thing the user does.
func (ws *Workspace) routes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/{$}", ws.staff("search-type", ws.findPage))
	m.HandleFunc("POST /workspace/search", ws.staff("search-type", ws.search))
	m.HandleFunc("GET /workspace/patients/{id}", ws.staff("read", ws.record))
}
