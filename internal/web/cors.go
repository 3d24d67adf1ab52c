package web

import (
	"net/http"
	"strings"
)

// CORS lets apps in browsers on other origins (SMART apps) call the FHIR
// API and the token endpoints. Any origin is allowed, without
// credentials: these endpoints authenticate by bearer token or client
// assertion, never by cookie, so a page on another origin can do nothing
// a script outside a browser could not. The cookie-authenticated pages
// (sign-in, consent) get no CORS headers.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !corsPath(r.URL.Path) || r.Header.Get("Origin") == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Location, Content-Location, ETag, Last-Modified, X-Request-Id, X-Progress, Retry-After, WWW-Authenticate")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, X-Request-Id, X-Security-Context")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func corsPath(p string) bool {
	switch p {
	case "/auth/token", "/auth/revoke", "/auth/introspect":
		return true
	}
	return strings.HasPrefix(p, "/fhir/") || p == "/fhir" || strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/bulk-")
}
