package main

import (
	"net/http"
	"time"
)

// httpServer is the HTTP server gpcloud serve runs: the handler behind the
// limits on how long a client may take and how much it may send. serve
// adds TLS and the base context.
func httpServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}
