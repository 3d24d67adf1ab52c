// Package notify sends the practice's messages to patients (appointment
// confirmations and reminders, invitations, links to a video call) by
// email and SMS, from a durable outbox: a message is enqueued in the same
// transaction as what it is about (a booking and its confirmation commit
// together), and a dispatcher sends what is due. A crash loses nothing;
// a crash between a send and its record sends that message once more
// (at least once), with the message's key as its reference (the email's
// Message-ID, the SMS provider's reference) so that a receiver can tell.
//
// Email goes over SMTP (--smtp-url); SMS through an HTTP adapter shaped
// like the GOV.UK Notify / NHS Notify API (a template id and its
// personalisation). Without either configured, messages stay in the
// outbox and the screens say "not connected".
package notify
