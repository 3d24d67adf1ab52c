package web

import (
	"fmt"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// qrSVG draws text as a QR code in inline SVG, for an authenticator app
// to scan from the screen (the second factor's otpauth:// link). Inline
// SVG needs nothing the page's Content-Security-Policy forbids: no
// script, no style sheet, no image from elsewhere. The code has a quiet
// zone of four modules, as scanners expect; label names it for screen
// readers. It returns "" when the text does not fit a QR code.
func qrSVG(text, label string) template.HTML {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return ""
	}
	const quiet = 4
	n := c.Size + 2*quiet
	var path strings.Builder
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	// Both strings are ours (numbers and the escaped label): the
	// result is safe HTML.
	return template.HTML(fmt.Sprintf(`<svg class="gp-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#ffffff"/><path fill="#000000" d="%s"/></svg>`,
		n, n, n*5, n*5, template.HTMLEscapeString(label), n, n, path.String()))
}
