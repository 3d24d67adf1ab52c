package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// EHR launch: a user in gpcloud opens an app from a patient's record.
// gpcloud records the context under an opaque launch id and sends the
// browser to the app's launch URL with iss and launch; the app asks for
// the "launch" scope with that id, and the token response carries the
// patient.

const launchKind = "launch"

// LaunchTTL is how long an app has to start its authorization.
const LaunchTTL = 5 * time.Minute

type launchContext struct {
	ClientID string `json:"clientId"`
	User     string `json:"user"`
	Patient  string `json:"patient"`
}

// Launch records a launch of client by user with a patient in context
// and returns the URL to send the browser to.
func (s *Server) Launch(ctx context.Context, clientID, user, patient string) (string, error) {
	c, err := LookupClient(ctx, s.Store, clientID)
	if err != nil {
		return "", err
	}
	if c.LaunchURL == "" {
		return "", fmt.Errorf("client %q has no launch URL", clientID)
	}
	body, _ := json.Marshal(launchContext{ClientID: clientID, User: user, Patient: patient})
	id := auth.NewSecret()
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: launchKind, ID: auth.HashSecret(id), Body: body, Expires: s.now().Add(LaunchTTL)})
	})
	if err != nil {
		return "", err
	}
	return withQuery(c.LaunchURL, url.Values{"iss": {s.FHIRBaseURL}, "launch": {id}}), nil
}

// ErrLaunch: the launch id is unknown, expired, or not this user's and app's.
var ErrLaunch = errors.New("this app launch is not valid any more: open the app again from the record")

// LaunchPatient returns the patient of a launch made by user for the
// request's client.
func (s *Server) LaunchPatient(ctx context.Context, req *AuthRequest, user string) (string, error) {
	rec, err := s.Store.GetRecord(ctx, launchKind, auth.HashSecret(req.Launch))
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrLaunch
	}
	if err != nil {
		return "", err
	}
	var lc launchContext
	if err := json.Unmarshal(rec.Body, &lc); err != nil {
		return "", err
	}
	if lc.ClientID != req.Client.ID || lc.User != user {
		return "", ErrLaunch
	}
	return lc.Patient, nil
}
