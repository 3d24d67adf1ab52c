package main

import (
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/internal/httplimit"
)

// maxHeaderBytes bounds a request's line and headers. The largest
// legitimate ones are a bearer token (about 1 KiB) and a page's cookies;
// Go's default, 1 MiB, would let each connection make the server hold a
// megabyte before any handler runs.
const maxHeaderBytes = 64 << 10

// httpServer is the HTTP server gpcloud serve runs: the handler behind the
// limits on how long a client may take and how much it may send. serve
// adds TLS and the base context.
//
// There is deliberately no ReadTimeout or WriteTimeout: a 32 MiB bundle
// over a slow line, or a large search page to a slow reader, may rightly
// take minutes. Headers must arrive within ReadHeaderTimeout, a body at
// the pace of rate, and an idle keep-alive connection is closed after
// IdleTimeout.
func httpServer(handler http.Handler, rate httplimit.BodyRate) *http.Server {
	return &http.Server{
		Handler:           httplimit.MinBodyRate(rate, handler),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}
