package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/store"
)

// notifyConfig is how the server sends email and SMS.
type notifyConfig struct {
	smtpURL, smsURL, smsKey *string
}

func registerNotify(fs *flag.FlagSet) notifyConfig {
	return notifyConfig{
		smtpURL: fs.String("smtp-url", os.Getenv("GPCLOUD_SMTP_URL"), "send email through this SMTP server: smtp://[user:password@]host[:port]?from=address (STARTTLS) or smtps://... (env GPCLOUD_SMTP_URL; off when empty)"),
		smsURL:  fs.String("sms-url", os.Getenv("GPCLOUD_SMS_URL"), "send SMS through this GOV.UK Notify-shaped API, e.g. https://api.notifications.service.gov.uk (env GPCLOUD_SMS_URL; off when empty)"),
		smsKey:  fs.String("sms-key", os.Getenv("GPCLOUD_SMS_KEY"), "the SMS API key, name-<service id>-<secret> (env GPCLOUD_SMS_KEY)"),
	}
}

// start runs the outbox's dispatcher with the channels configured.
func (c notifyConfig) start(st store.Store, log *slog.Logger) (*notify.Dispatcher, error) {
	senders := map[notify.Channel]notify.Sender{}
	if *c.smtpURL != "" {
		s, err := notify.ParseSMTP(*c.smtpURL)
		if err != nil {
			return nil, err
		}
		senders[notify.Email] = s
	}
	if *c.smsURL != "" {
		s, err := notify.NewNotifySMS(*c.smsURL, *c.smsKey)
		if err != nil {
			return nil, fmt.Errorf("--sms-key: %w", err)
		}
		senders[notify.SMS] = s
	}
	return notify.Start(st, senders, log), nil
}
