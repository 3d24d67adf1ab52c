package appointments

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/changefeed"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Messages turns appointment changes into messages in the notification
// outbox: it reads the Appointments changed since its checkpoint (each
// version, whoever wrote it: a page, the API, GP Connect), asks
// clinical.AppointmentMessages what each calls for, and enqueues them
// keyed by appointment, version and kind. A crash between enqueueing and
// moving the checkpoint reads the same versions again and enqueues
// nothing twice (the outbox ignores a key it has); the dispatcher then
// sends each message at least once (notify's guarantee).
type Messages struct {
	Store    store.Store
	Service  *service.Service
	Practice string // the sender's name in the texts
	Log      *slog.Logger
	// Wake, when set, tells the dispatcher there is something to send.
	Wake func()
}

// checkpointKind names the scan's checkpoint record.
const checkpointKind = "appointment-messages"

// Scan enqueues the messages of the Appointments changed since the last
// scan; the first scan starts from now (older appointments get none).
func (m *Messages) Scan(ctx context.Context, now time.Time) (int, error) {
	feed := changefeed.Feed{Store: m.Store, Service: m.Service, Kind: checkpointKind, Type: "Appointment"}
	enqueued, err := feed.Scan(ctx, now, func(appt fhir.Resource) (int, error) { return m.enqueue(ctx, appt, now) })
	if enqueued > 0 && m.Wake != nil {
		m.Wake()
	}
	return enqueued, err
}

// enqueue puts one Appointment version's messages in the outbox, in one
// transaction, and withdraws a reminder its change made wrong.
func (m *Messages) enqueue(ctx context.Context, appt fhir.Resource, now time.Time) (int, error) {
	version, _ := strconv.ParseInt(text(appt.Meta()["versionId"]), 10, 64)
	var before fhir.Resource
	if version > 1 {
		if out, err := m.Service.VRead(ctx, "Appointment", appt.ID(), strconv.FormatInt(version-1, 10)); err == nil {
			before, _ = fhir.Unmarshal(out.Version.Body)
		}
	}
	var patient fhir.Resource
	if ref := clinical.AppointmentPatient(appt).Reference; ref != "" {
		if out, err := m.Service.Read(ctx, "Patient", strings.TrimPrefix(ref, "Patient/")); err == nil {
			patient, _ = fhir.Unmarshal(out.Version.Body)
		}
	}
	practice := m.Practice
	if org, _ := patient["managingOrganization"].(map[string]any); org != nil {
		if id, ok := strings.CutPrefix(text(org["reference"]), "Organization/"); ok {
			if out, err := m.Service.Read(ctx, "Organization", id); err == nil {
				if o, err := fhir.Unmarshal(out.Version.Body); err == nil && text(o["name"]) != "" {
					practice = text(o["name"])
				}
			}
		}
	}
	if practice == "" {
		practice = "Your GP practice"
	}
	msgs := clinical.AppointmentMessages(appt, before, patient, practice, now)
	status := text(appt["status"])
	// A reminder for a time the appointment no longer has, or of one
	// cancelled, is withdrawn if not sent yet.
	var withdraw []string
	for _, ch := range []string{"email", "sms"} {
		if before != nil && text(before["start"]) != text(appt["start"]) {
			withdraw = append(withdraw, reminderKey(appt.ID(), text(before["start"]), ch))
		}
		if status == "cancelled" || status == "entered-in-error" || status == "noshow" {
			withdraw = append(withdraw, reminderKey(appt.ID(), text(appt["start"]), ch))
		}
	}
	if len(msgs) == 0 && len(withdraw) == 0 {
		return 0, nil
	}
	err := m.Store.InTx(ctx, func(tx store.Tx) error {
		for _, k := range withdraw {
			if err := notify.Cancel(ctx, tx, k); err != nil {
				return err
			}
		}
		for _, msg := range msgs {
			key := fmt.Sprintf("appt:%s:v%d:%s:%s", appt.ID(), version, msg.Kind, msg.Channel)
			if msg.Kind == "reminder" {
				key = reminderKey(appt.ID(), text(appt["start"]), msg.Channel)
			}
			subject, body := clinical.AppointmentMessageText(msg)
			if err := notify.Enqueue(ctx, tx, notify.Message{Key: key, Channel: notify.Channel(msg.Channel), To: msg.To,
				Template: "appointment-" + msg.Kind, Personalisation: msg.Fields, Subject: subject, Body: body,
				NotBefore: msg.NotBefore, About: "Appointment/" + appt.ID()}); err != nil {
				return err
			}
		}
		return nil
	})
	return len(msgs), err
}

func reminderKey(id, start, channel string) string {
	return "appt:" + id + ":reminder:" + start + ":" + channel
}

// Run scans every interval until ctx ends.
func (m *Messages) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := m.Scan(ctx, time.Now()); err != nil && ctx.Err() == nil && m.Log != nil {
			m.Log.Error("appointment messages", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func text(v any) string { s, _ := v.(string); return s }
