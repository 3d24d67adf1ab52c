package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// NotifySMS sends SMS through an API shaped like GOV.UK Notify (and NHS
// Notify): POST {base}/v2/notifications/sms with the phone number, the
// template id, its personalisation and the message's key as reference,
// authenticated by a JWT (HS256, iss the service id, iat now) made from
// the API key "name-<service id>-<secret>".
type NotifySMS struct {
	base, serviceID, secret string
	client                  *http.Client
}

// NewNotifySMS is a sender for the API at base with an API key, whose
// last two 36-character parts are the service id and the secret.
func NewNotifySMS(base, apiKey string) (*NotifySMS, error) {
	if len(apiKey) < 74 || apiKey[len(apiKey)-37] != '-' {
		return nil, fmt.Errorf("notify: the SMS API key must end in <service id>-<secret key> (two UUIDs)")
	}
	return &NotifySMS{base: strings.TrimRight(base, "/"), serviceID: apiKey[len(apiKey)-73 : len(apiKey)-37], secret: apiKey[len(apiKey)-36:],
		client: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Send posts one SMS.
func (n *NotifySMS) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(map[string]any{"phone_number": m.To, "template_id": m.Template, "personalisation": m.Personalisation, "reference": m.Key})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.base+"/v2/notifications/sms", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+n.token(time.Now()))
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("notify: SMS provider answered %d: %.300s", resp.StatusCode, data)
	}
	return nil
}

// token is the JWT GOV.UK Notify expects: HS256 over {iss, iat}.
func (n *NotifySMS) token(now time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"iss": n.serviceID, "iat": now.Unix()})
	signing := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(n.secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}
