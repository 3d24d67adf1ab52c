// Package portalnotice pushes what the patient portal's queues would
// otherwise only show: it tells a patient by email or text that the
// practice has replied (replies.go), and raises a Task for the practice's
// managers when an online request waits too long (escalations.go). Both
// run in the background of gpcloud serve, like the appointment messages
// scanner, and read and write through internal/service; the rules (who
// is told, on which channel, when a request escalates, what the Task
// says) are clinical.ReplyNotices, clinical.ParentProxies and
// clinical.Escalation.
package portalnotice
