package main

import (
	"flag"
	"log/slog"
	"os"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/video"
)

// videoConfig is how browsers in a video consultation find each other:
// STUN and TURN servers, the shared secret of their short-lived
// credentials, and the embedded TURN server.
type videoConfig struct {
	urls     listFlag
	secret   *string
	embedded *string
}

func registerVideo(fs *flag.FlagSet) *videoConfig {
	c := &videoConfig{}
	if env := os.Getenv("GPCLOUD_TURN_URL"); env != "" {
		c.urls = listFlag{env}
	}
	fs.Var(&c.urls, "turn-url", "STUN or TURN server for video calls, stun:host:port or turn:host:port?transport=udp (repeatable or comma-separated; env GPCLOUD_TURN_URL; none by default: no third-party STUN server)")
	c.secret = fs.String("turn-secret", os.Getenv("GPCLOUD_TURN_SECRET"), "shared secret of the TURN servers: browsers get short-lived credentials (TURN REST API: username expiry:user, password base64 HMAC-SHA1) (env GPCLOUD_TURN_SECRET)")
	c.embedded = fs.String("turn-embedded", os.Getenv("GPCLOUD_TURN_EMBEDDED"), "run a TURN server in gpcloud on this UDP IP:port, e.g. 203.0.113.5:3478 (the IP browsers reach; needs --turn-secret) (env GPCLOUD_TURN_EMBEDDED; off when empty)")
	return c
}

// start returns the video hub, and the embedded TURN server when one is
// asked for (nil otherwise).
func (c *videoConfig) start(st store.Store, log *slog.Logger) (*video.Hub, *video.EmbeddedTURN, error) {
	urls, err := video.ParseURLs(c.urls)
	if err != nil {
		return nil, nil, err
	}
	var t *video.EmbeddedTURN
	if *c.embedded != "" {
		if t, err = video.StartTURN(*c.embedded, *c.secret, log); err != nil {
			return nil, nil, err
		}
		urls = append(urls, t.URL)
		log.Info("embedded TURN server", "url", t.URL)
	}
	return video.NewHub(video.Options{Store: st, TURN: video.TURN{URLs: urls, Secret: *c.secret}, Logger: log}), t, nil
}
