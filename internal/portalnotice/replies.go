package portalnotice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/changefeed"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Replies tells patients that the practice has replied: it reads the
// practice replies (Communications) written since its checkpoint,
// whoever wrote them (the conversation page, an online request's answer,
// the FHIR API), and enqueues one notice per reply and channel, keyed by
// the reply's id. A reply is written by a service transaction that cannot
// carry the outbox's record, so the notice follows it here instead: a
// crash between enqueueing and the checkpoint reads the same replies
// again and enqueues nothing twice (the outbox ignores a key it has).
type Replies struct {
	Store   store.Store
	Service *service.Service
	// PortalURL is the portal's address, given in the notice.
	PortalURL string
	// Sends reports whether a channel ("email", "sms") is connected: a
	// notice is enqueued only on those, so that none waits for ever.
	Sends func(channel string) bool
	Log   *slog.Logger
	// Wake, when set, tells the dispatcher there is something to send.
	Wake func()
}

// checkpointKind names the scan's checkpoint record.
const checkpointKind = "portal-reply-notices"

// NoticeKey is the outbox key of the notice of a reply on a channel to
// one address (two parents may both be told). The address is hashed: a
// key is logged when a send fails, and logs carry no contact details.
func NoticeKey(replyID, channel, to string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(to))))
	return "portal-reply:" + replyID + ":" + channel + ":" + hex.EncodeToString(sum[:6])
}

// Scan enqueues the notices of replies written since the last scan; the
// first scan starts from now (older replies are not announced).
func (r *Replies) Scan(ctx context.Context, now time.Time) (int, error) {
	feed := changefeed.Feed{Store: r.Store, Service: r.Service, Kind: checkpointKind, Type: "Communication",
		Params: url.Values{"category": {clinical.MessageKindSystem + "|" + clinical.MessagePractice}}}
	enqueued, err := feed.Scan(ctx, now, func(reply fhir.Resource) (int, error) { return r.enqueue(ctx, reply, now) })
	if enqueued > 0 && r.Wake != nil {
		r.Wake()
	}
	return enqueued, err
}

// enqueue puts one reply's notices in the outbox, in one transaction.
func (r *Replies) enqueue(ctx context.Context, reply fhir.Resource, now time.Time) (int, error) {
	patientID, ok := clinical.ReplyNoticeFor(reply)
	if !ok {
		return 0, nil
	}
	patient, err := r.read(ctx, "Patient", patientID)
	if errors.Is(err, errGone) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	parents, err := r.parents(ctx, patient, now)
	if err != nil {
		return 0, err
	}
	var msgs []notify.Message
	body := clinical.ReplyNoticeBody(r.PortalURL)
	for _, n := range clinical.ReplyNotices(patient, parents, now) {
		if r.Sends == nil || !r.Sends(n.Channel) {
			continue
		}
		msgs = append(msgs, notify.Message{Key: NoticeKey(reply.ID(), n.Channel, n.To), Channel: notify.Channel(n.Channel), To: n.To,
			Template: "portal-reply", Personalisation: map[string]string{"portal": r.PortalURL},
			Subject: clinical.ReplyNoticeSubject, Body: body, About: "Communication/" + reply.ID()})
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	return len(msgs), r.Store.InTx(ctx, func(tx store.Tx) error {
		for _, m := range msgs {
			if err := notify.Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// parents are the RelatedPersons to tell of a reply to a child under 16,
// or to a patient with no usable date of birth (ReplyNotices treats them
// as a child); none for anyone else.
func (r *Replies) parents(ctx context.Context, patient fhir.Resource, now time.Time) ([]fhir.Resource, error) {
	birth := str(patient["birthDate"])
	if b, err := time.Parse("2006-01-02", birth); err == nil && !b.AddDate(16, 0, 0).After(now.In(clinical.UKTime)) {
		return nil, nil
	}
	res, err := r.Service.Search(ctx, service.SearchRequest{Type: "Consent", Params: url.Values{
		"patient": {"Patient/" + patient.ID()}, "_count": {"100"}}})
	if err != nil {
		return nil, err
	}
	var out []fhir.Resource
	for _, ref := range clinical.ParentProxies(service.Matches(res.Resource), birth, now) {
		p, err := r.read(ctx, "RelatedPerson", strings.TrimPrefix(ref, "RelatedPerson/"))
		if errors.Is(err, errGone) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

var errGone = errors.New("not found or deleted")

func (r *Replies) read(ctx context.Context, typ, id string) (fhir.Resource, error) {
	out, err := r.Service.Read(ctx, typ, id)
	if err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && (fe.Status == 404 || fe.Status == 410) {
			return nil, errGone
		}
		return nil, err
	}
	return fhir.Unmarshal(out.Version.Body)
}

// Run scans every interval until ctx ends.
func (r *Replies) Run(ctx context.Context, interval time.Duration) {
	loop(ctx, interval, "portal reply notices", r.Log, r.Scan)
}

func loop(ctx context.Context, interval time.Duration, what string, log *slog.Logger, scan func(context.Context, time.Time) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := scan(ctx, time.Now()); err != nil && ctx.Err() == nil && log != nil {
			log.Error(what, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func str(v any) string { s, _ := v.(string); return s }
