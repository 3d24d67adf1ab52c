package workspace

// pageNames are the workspace's page templates.
var pageNames = []string{"message", "find", "record", "consultation", "journal", "consultation-view", "retract", "fitnote", "fitnote-print",
	// The record's sections (ws-record).
	"breakglass", "problems", "allergies", "immunisations", "alerts", "retract-entry"}

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

	// A sensitive record's reason, and the record's sections (breakglass.go,
	// problems.go, allergies.go, immunisations.go, alerts.go, retract_entry.go).
	m.HandleFunc("GET /workspace/patients/{id}/break-glass", ws.staff("read", ws.breakGlassForm))
	m.HandleFunc("POST /workspace/patients/{id}/break-glass", ws.staff("read", ws.breakGlass))
	m.HandleFunc("GET /workspace/patients/{id}/problems", ws.staff("search-type", ws.problems))
	m.HandleFunc("POST /workspace/patients/{id}/problems", ws.staff("create", ws.addProblem))
	m.HandleFunc("POST /workspace/patients/{id}/problems/{entry}", ws.staff("update", ws.changeProblem))
	m.HandleFunc("GET /workspace/patients/{id}/allergies", ws.staff("search-type", ws.allergies))
	m.HandleFunc("POST /workspace/patients/{id}/allergies", ws.staff("create", ws.addAllergy))
	m.HandleFunc("POST /workspace/patients/{id}/allergies/{entry}", ws.staff("update", ws.endAllergy))
	m.HandleFunc("GET /workspace/patients/{id}/immunisations", ws.staff("search-type", ws.immunisations))
	m.HandleFunc("POST /workspace/patients/{id}/immunisations", ws.staff("create", ws.addImmunisation))
	m.HandleFunc("GET /workspace/patients/{id}/alerts", ws.staff("search-type", ws.alerts))
	m.HandleFunc("POST /workspace/patients/{id}/alerts", ws.staff("create", ws.addAlert))
	m.HandleFunc("POST /workspace/patients/{id}/alerts/{entry}", ws.staff("update", ws.endAlert))
	m.HandleFunc("GET /workspace/patients/{id}/entries/{type}/{entry}/retract", ws.staff("read", ws.retractEntryForm))
	m.HandleFunc("POST /workspace/patients/{id}/entries/{type}/{entry}/retract", ws.staff("update", ws.retractEntry))
}
