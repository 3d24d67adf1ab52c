package workspace

// replyNotice says, on the pages that send a reply to a patient, whether
// the patient will be told of it by email or text (portalnotice.Replies
// sends those notices, only on the channels that are connected), so that
// nobody assumes a patient was told when nothing can be sent: then the
// patient sees the reply only when they next sign in, and a reply that
// cannot wait needs a phone call.
func (ws *Workspace) replyNotice() (connected bool, sentence string) {
	if ws.opts.Sends != nil && (ws.opts.Sends("email") || ws.opts.Sends("sms")) {
		return true, "The patient (for a child under 16, a parent with access) is told by email or text that there is a new message, if they agreed to be contacted that way. The email or text does not say what the message says."
	}
	return false, "Email and text messages are not connected, so the patient is not told about this reply: they see it when they next sign in. If it cannot wait, phone them."
}
