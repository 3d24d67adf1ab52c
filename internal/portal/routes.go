package portal

// routes lists every page: one handler file per thing the patient does.
func (pt *Portal) routes() {
	m := pt.mux
	// Home and whose record (home.go).
	m.HandleFunc("GET /patient/{$}", pt.patient("read", pt.home))
	m.HandleFunc("GET /patient/switch", pt.patient("read", pt.switchForm))
	m.HandleFunc("POST /patient/switch", pt.patient("read", pt.switchRecord))
	// Registering with a practice's letter (register.go): not signed in.
	m.HandleFunc("GET /patient/register", pt.registerForm)
	m.HandleFunc("POST /patient/register", pt.register)
	// Appointments (appointments.go, book.go, cancel.go).
	m.HandleFunc("GET /patient/appointments", pt.patient("search-type", pt.appointments))
	m.HandleFunc("GET /patient/book", pt.patient("search-type", pt.bookMode))
	m.HandleFunc("GET /patient/book/times", pt.patient("search-type", pt.bookTimes))
	m.HandleFunc("GET /patient/book/{slot}", pt.patient("read", pt.bookConfirm))
	m.HandleFunc("POST /patient/book/{slot}", pt.patient("create", pt.book))
	m.HandleFunc("GET /patient/appointments/{appt}", pt.patient("read", pt.appointment))
	m.HandleFunc("GET /patient/appointments/{appt}/cancel", pt.patient("read", pt.cancelForm))
	m.HandleFunc("POST /patient/appointments/{appt}/cancel", pt.patient("update", pt.cancel))
	// Video appointments (video.go): the check, the waiting room and the
	// call; the one-time links of the patient and of an invited guest.
	m.HandleFunc("GET /patient/appointments/{appt}/video", pt.patient("read", pt.videoCheck))
	m.HandleFunc("POST /patient/appointments/{appt}/video", pt.patient("update", pt.videoJoin))
	m.HandleFunc("GET /patient/appointments/{appt}/video/call", pt.patient("read", pt.videoCall))
	m.HandleFunc("GET /patient/appointments/{appt}/video/ws", pt.patient("read", pt.videoSocket))
	m.HandleFunc("GET /patient/video/{token}", pt.patient("read", pt.videoLink))
	m.HandleFunc("GET /patient/guest/call", pt.guestCall)
	m.HandleFunc("GET /patient/guest/ws", pt.guestSocket)
	m.HandleFunc("GET /patient/guest/{token}", pt.guestLink)
	// Online consultation (help.go).
	m.HandleFunc("GET /patient/help", pt.patient("read", pt.helpKind))
	m.HandleFunc("POST /patient/help", pt.patient("read", pt.helpNext))
	m.HandleFunc("POST /patient/help/send", pt.patient("transaction", pt.helpSend))
	m.HandleFunc("GET /patient/help/sent/{task}", pt.patient("read", pt.helpSent))
	// Repeat prescriptions (repeats.go).
	m.HandleFunc("GET /patient/prescriptions", pt.patient("search-type", pt.repeats))
	m.HandleFunc("POST /patient/prescriptions", pt.patient("create", pt.orderRepeats))
	// Contact details (details.go).
	m.HandleFunc("GET /patient/details", pt.patient("read", pt.details))
	m.HandleFunc("POST /patient/details", pt.patient("create", pt.changeDetails))
	// Messages with the practice (messages.go).
	m.HandleFunc("GET /patient/messages", pt.patient("search-type", pt.messages))
	m.HandleFunc("POST /patient/messages", pt.messageLimit(pt.patient("transaction", pt.sendMessage)))
	m.HandleFunc("GET /patient/messages/{message}/attachment", pt.patient("read", pt.messageAttachment))
	// The record (record.go).
	m.HandleFunc("GET /patient/record", pt.patient("search-type", pt.record))
	m.HandleFunc("GET /patient/record/views", pt.patient("search-type", pt.recordViews)) // record_views.go
}
