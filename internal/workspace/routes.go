package workspace

// pageNames are the workspace's page templates.
var pageNames = []string{"message", "find", "record", "consultation", "journal", "consultation-view", "retract", "fitnote", "fitnote-print"}

// routes lists every page: one handler per thing the user does.
func (ws *Workspace) routes() {
	m := ws.mux
	m.HandleFunc("GET /workspace/{$}", ws.staff("search-type", ws.findPage))
	m.HandleFunc("POST /workspace/search", ws.staff("search-type", ws.search))
	m.HandleFunc("GET /workspace/patients/{id}", ws.staff("read", ws.record))

	// Consultations and the journal (consultation.go, journal.go, amend.go).
	m.HandleFunc("GET /workspace/patients/{id}/consultations", ws.staff("search-type", ws.journal))
	m.HandleFunc("GET /workspace/patients/{id}/consultations/new", ws.staff("read", ws.newConsultation))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/new", ws.staff("transaction", ws.saveConsultation))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/draft", ws.staff("update", ws.autosave))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/codes", ws.staff("search-type", ws.findCodes))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/bmi", ws.staff("read", ws.bmiPreview))
	m.HandleFunc("GET /workspace/patients/{id}/consultations/{enc}", ws.staff("read", ws.viewConsultation))
	m.HandleFunc("GET /workspace/patients/{id}/consultations/{enc}/amend", ws.staff("read", ws.amendForm))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/{enc}/amend", ws.staff("transaction", ws.amend))
	m.HandleFunc("GET /workspace/patients/{id}/consultations/{enc}/retract", ws.staff("read", ws.retractForm))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/{enc}/retract", ws.staff("transaction", ws.retract))
	m.HandleFunc("GET /workspace/patients/{id}/consultations/{enc}/fitnote", ws.staff("read", ws.fitNoteForm))
	m.HandleFunc("POST /workspace/patients/{id}/consultations/{enc}/fitnote", ws.staff("create", ws.issueFitNote))
	m.HandleFunc("GET /workspace/patients/{id}/fitnotes/{doc}", ws.staff("read", ws.printFitNote))

	// Practice admin (admin*.go).
	ws.adminRoutes()
}
