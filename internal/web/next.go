package web

import (
	"net/url"
	"strings"
)

// safeNext keeps a post-sign-in destination only when it is a path on
// this server, and answers "/" for anything else (no open redirect).
//
// The check is on what a browser will do with the Location header, not
// on how Go parses it. Browsers drop tab, CR and LF anywhere in a URL and
// read a backslash as a slash, so "/\t/evil.example" and "/\evil.example"
// both become the scheme-relative "//evil.example". Rather than mimic
// each browser's clean-up, any control byte or backslash refuses the
// whole destination: none belongs in a link gpcloud makes itself.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	// A leading single slash already rules out a scheme or an authority;
	// the parse is a second opinion, and refuses what Go cannot parse.
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}
