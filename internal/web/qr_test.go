package web

import (
	"strings"
	"testing"

	"rsc.io/qr"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// TestQRSVG: the second factor's link becomes an SVG whose dark modules
// are exactly the QR code's, inside a quiet zone, named for screen
// readers; a label cannot break out of its attribute.
func TestQRSVG(t *testing.T) {
	uri := identity.TOTPURI("gpcloud", "dr.a@example", identity.NewTOTPSecret())
	svg := string(qrSVG(uri, `QR code "x" <script>`))
	c, err := qr.Encode(uri, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	black := 0
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				black++
			}
		}
	}
	if got := strings.Count(svg, "h1v1h-1z"); got != black || black == 0 {
		t.Errorf("%d modules drawn, want %d", got, black)
	}
	if !strings.Contains(svg, `M4 4h1v1h-1z`) { // the finder pattern's corner, after the quiet zone
		t.Errorf("the top-left module is not at the quiet zone's edge")
	}
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, `aria-label="QR code &#34;x&#34; &lt;script&gt;"`) {
		t.Errorf("label not escaped: %s", svg[:200])
	}
	if qrSVG(strings.Repeat("x", 5000), "too long") != "" {
		t.Errorf("text too long for a QR code gave an image")
	}
}
