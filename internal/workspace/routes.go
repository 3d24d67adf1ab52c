package workspace

// pageNames are the workspace's page templates.
var pageNames = []string{"message", "find", "record", "consultation", "journal", "consultation-view", "retract", "fitnote", "fitnote-print",
	"book", "book-slot", "appointment", "appointment-move", "free-slots", "displaced", "duty", "week", "patient-appointments", "register", "registration",
	// The record's sections.
	"breakglass", "problems", "allergies", "immunisations", "alerts", "retract-entry", "redact-entry",
	// The record's Online access: letters; proxies to review at 11 (invitations.go, proxy_review.go).
	"invitation-letter", "proxy-review",
	// Medication (medication*.go).
	"medication", "medication-prescribe", "medication-stop", "medication-print", "medication-dose", "medication-review", "medication-administer",
	// The prescriptions queue (prescriptions.go, prescription.go, medication_request.go).
	"prescriptions", "prescription", "medication-request",
	// Workflow: tasks.
	"tasks", "task-new", "task", "patient-tasks", "inbox", "inbox-item", "inbox-match", "letter-upload",
	"referrals", "referral-new", "referral", "recalls", "tests",
	// Patients' messages and online requests (messages.go, requests.go).
	"messages", "conversation", "requests", "request", "proxies", "sharing",
	// Video consultations (video.go).
	"video"}

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

	// The appointment book (book.go, book_slot.go, appointment.go).
	m.HandleFunc("GET /workspace/appointments", ws.staff("search-type", ws.book))
	m.HandleFunc("GET /workspace/slots/{slot}", ws.staff("read", ws.bookSlotForm))
	m.HandleFunc("POST /workspace/slots/{slot}", ws.staff("create", ws.bookSlot))
	m.HandleFunc("GET /workspace/appointments/{appt}", ws.staff("read", ws.appointment))
	m.HandleFunc("POST /workspace/appointments/{appt}/status", ws.staff("update", ws.appointmentStatus))
	m.HandleFunc("POST /workspace/appointments/{appt}/cancel", ws.staff("update", ws.cancelAppointment))
	m.HandleFunc("GET /workspace/appointments/{appt}/move", ws.staff("read", ws.moveForm))
	m.HandleFunc("POST /workspace/appointments/{appt}/move", ws.staff("update", ws.move))
	// Video consultations (video.go).
	m.HandleFunc("GET /workspace/appointments/{appt}/video", ws.staff("read", ws.videoCall))
	m.HandleFunc("GET /workspace/appointments/{appt}/video/ws", ws.staff("read", ws.videoSocket))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/admit", ws.staff("update", ws.videoAdmit))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/checks", ws.staff("create", ws.videoChecks))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/end", ws.staff("update", ws.videoEnd))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/dna", ws.staff("update", ws.videoDNA))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/phone", ws.staff("update", ws.videoPhone))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/invite", ws.staff("create", ws.videoInvite))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/photo", ws.staff("create", ws.videoPhoto))
	m.HandleFunc("POST /workspace/appointments/{appt}/video/send-link", ws.staff("update", ws.videoSendLink))
	m.HandleFunc("POST /workspace/patients/{id}/video", ws.staff("create", ws.videoAdHoc))
	m.HandleFunc("GET /workspace/free-slots", ws.staff("search-type", ws.freeSlotsPage))
	m.HandleFunc("GET /workspace/appointments/displaced", ws.staff("search-type", ws.displaced))
	m.HandleFunc("GET /workspace/appointments/week", ws.staff("search-type", ws.week))
	m.HandleFunc("GET /workspace/duty", ws.staff("search-type", ws.duty))
	m.HandleFunc("POST /workspace/duty", ws.staff("create", ws.addDuty))
	m.HandleFunc("POST /workspace/duty/{appt}", ws.staff("update", ws.workDuty))
	m.HandleFunc("POST /workspace/appointments/displaced", ws.staff("update", ws.rebook))
	m.HandleFunc("GET /workspace/patients/{id}/appointments", ws.staff("search-type", ws.patientAppointments))
	// Registration (register.go, registration.go, deduct.go,
	// reregister.go, death.go, details.go).
	m.HandleFunc("GET /workspace/register", ws.staff("read", ws.registerForm))
	m.HandleFunc("POST /workspace/register", ws.staff("transaction", ws.register))
	m.HandleFunc("POST /workspace/register/check", ws.staff("search-type", ws.checkNHS))
	m.HandleFunc("GET /workspace/patients/{id}/registration", ws.staff("read", ws.registration))
	m.HandleFunc("GET /workspace/patients/{id}/registration/deduct", ws.staff("read", ws.deductForm))
	m.HandleFunc("POST /workspace/patients/{id}/registration/deduct", ws.staff("transaction", ws.deduct))
	m.HandleFunc("GET /workspace/patients/{id}/registration/new", ws.staff("read", ws.reregisterForm))
	m.HandleFunc("POST /workspace/patients/{id}/registration/new", ws.staff("transaction", ws.reregister))
	m.HandleFunc("GET /workspace/patients/{id}/registration/death", ws.staff("read", ws.deathForm))
	m.HandleFunc("POST /workspace/patients/{id}/registration/death", ws.staff("transaction", ws.recordDeath))
	m.HandleFunc("GET /workspace/patients/{id}/registration/details", ws.staff("read", ws.detailsForm))
	m.HandleFunc("POST /workspace/patients/{id}/registration/details", ws.staff("update", ws.saveDetails))
	m.HandleFunc("GET /workspace/patients/{id}/registration/sharing", ws.staff("read", ws.sharingForm))
	m.HandleFunc("POST /workspace/patients/{id}/registration/sharing", ws.staff("update", ws.saveSharing))
	// Practice admin (admin*.go).
	ws.adminRoutes()
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
	// Words within an entry removed from online access (redact_entry.go).
	m.HandleFunc("GET /workspace/patients/{id}/entries/{type}/{entry}/redact", ws.staff("read", ws.redactEntryForm))
	m.HandleFunc("POST /workspace/patients/{id}/entries/{type}/{entry}/redact", ws.staff("update", ws.redactEntry))
	// Medication: the tab, prescribing with its safety warnings, issuing
	// repeats, stopping, the printed token (medication*.go).
	ws.medicationRoutes()
	// The prescriptions queue of repeat requests (prescriptions.go).
	ws.prescriptionRoutes()
	// Patients' messages and online requests (messages.go, requests.go).
	ws.patientQueueRoutes()
	// Workflow: tasks (tasks.go, task_new.go, task.go).
	m.HandleFunc("GET /workspace/tasks", ws.staff("search-type", ws.myTasks))
	m.HandleFunc("GET /workspace/tasks/team", ws.staff("search-type", ws.teamTasks))
	m.HandleFunc("GET /workspace/tasks/counts", ws.staff("search-type", ws.taskCounts))
	m.HandleFunc("POST /workspace/tasks/reassign", ws.staff("update", ws.reassignTasks))
	m.HandleFunc("GET /workspace/tasks/new", ws.staff("read", ws.newTaskForm))
	m.HandleFunc("POST /workspace/tasks/new", ws.staff("create", ws.createTask))
	m.HandleFunc("GET /workspace/tasks/{task}", ws.staff("read", ws.task))
	m.HandleFunc("POST /workspace/tasks/{task}", ws.staff("update", ws.changeTask))
	m.HandleFunc("GET /workspace/patients/{id}/tasks", ws.staff("search-type", ws.patientTasks))
	m.HandleFunc("GET /workspace/patients/{id}/tasks/new", ws.staff("read", ws.newTaskForm))
	m.HandleFunc("POST /workspace/patients/{id}/tasks/new", ws.staff("create", ws.createTask))
	// Workflow: results and documents (inbox.go, inbox_file.go,
	// inbox_file_normal.go, inbox_match.go, letter_upload.go, letter_code.go).
	m.HandleFunc("GET /workspace/inbox", ws.staff("search-type", ws.inbox))
	m.HandleFunc("GET /workspace/inbox/match", ws.staff("search-type", ws.toMatch))
	m.HandleFunc("GET /workspace/inbox/mine", ws.staff("search-type", ws.myInbox))
	m.HandleFunc("GET /workspace/inbox/outstanding", ws.staff("search-type", ws.outstandingTests))
	m.HandleFunc("GET /workspace/patients/{id}/tests", ws.staff("search-type", ws.tests))
	m.HandleFunc("POST /workspace/patients/{id}/tests", ws.staff("create", ws.requestTests))
	m.HandleFunc("POST /workspace/inbox/file-normal", ws.staff("update", ws.fileNormal))
	m.HandleFunc("GET /workspace/patients/{id}/letters/new", ws.staff("read", ws.letterUploadForm))
	m.HandleFunc("POST /workspace/patients/{id}/letters/new", ws.staff("create", ws.uploadLetter))
	m.HandleFunc("GET /workspace/inbox/match/{kind}/{item}", ws.staff("read", ws.matchForm))
	m.HandleFunc("POST /workspace/inbox/match/{kind}/{item}", ws.staff("update", ws.match))
	m.HandleFunc("GET /workspace/inbox/{kind}/{item}", ws.staff("read", ws.inboxItemView))
	m.HandleFunc("GET /workspace/inbox/{kind}/{item}/attachment/{n}", ws.staff("read", ws.inboxAttachment))
	m.HandleFunc("POST /workspace/inbox/{kind}/{item}", ws.staff("transaction", ws.fileItem))
	// Workflow: referrals (referrals.go).
	m.HandleFunc("GET /workspace/referrals", ws.staff("search-type", ws.openReferrals))
	m.HandleFunc("GET /workspace/patients/{id}/referrals", ws.staff("search-type", ws.patientReferrals))
	m.HandleFunc("GET /workspace/patients/{id}/referrals/new", ws.staff("read", ws.referralForm))
	m.HandleFunc("POST /workspace/patients/{id}/referrals/new", ws.staff("transaction", ws.createReferral))
	m.HandleFunc("GET /workspace/patients/{id}/referrals/{ref}", ws.staff("read", ws.referral))
	m.HandleFunc("POST /workspace/patients/{id}/referrals/{ref}", ws.staff("update", ws.changeReferral))
	// Workflow: recalls (recalls.go).
	m.HandleFunc("GET /workspace/recalls", ws.staff("search-type", ws.dueRecalls))
	m.HandleFunc("GET /workspace/patients/{id}/recalls", ws.staff("search-type", ws.recalls))
	m.HandleFunc("POST /workspace/patients/{id}/recalls", ws.staff("create", ws.addRecall))
	m.HandleFunc("POST /workspace/patients/{id}/recalls/{recall}", ws.staff("update", ws.endRecall))
}
