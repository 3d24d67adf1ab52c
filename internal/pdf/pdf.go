// Package pdf writes small PDF 1.4 documents with the standard library
// alone: pages of any size, text in the base-14 Helvetica, Helvetica-Bold
// and Courier fonts (WinAnsi encoding, so no font is embedded), lines,
// rectangles and filled bars (a barcode). It is what a printed form
// needs (the FP10SS: internal/fp10) and no more: no images, no
// compression, no links. Positions are given in millimetres from the
// page's top left corner, as a form's specification measures them; the
// writer turns them into PDF points from the bottom left.
//
// Texts reads back the text a document places and where, for tests
// (and it is fuzzed): it understands the content streams this package
// writes, not PDF at large.
package pdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Font is one of the base-14 fonts the writer uses.
type Font int

// The fonts, in the order of their resource names F1, F2, F3.
const (
	Helvetica Font = iota
	HelveticaBold
	Courier
)

var fontNames = []string{"Helvetica", "Helvetica-Bold", "Courier"}

// PointsPerMM converts millimetres to PDF points (1/72 inch).
const PointsPerMM = 72 / 25.4

// Document is a PDF being written.
type Document struct {
	pages []*Page
	title string
}

// New starts a document; title goes into its Info dictionary (keep
// clinical data out of it: it is shown in a viewer's title bar).
func New(title string) *Document { return &Document{title: title} }

// Page is one page's content stream.
type Page struct {
	wMM, hMM float64
	content  bytes.Buffer
}

// AddPage adds a page wMM by hMM millimetres.
func (d *Document) AddPage(wMM, hMM float64) *Page {
	p := &Page{wMM: wMM, hMM: hMM}
	d.pages = append(d.pages, p)
	return p
}

// Pages is the number of pages so far.
func (d *Document) Pages() int { return len(d.pages) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// pt converts a position from the top-left in millimetres to points
// from the bottom-left.
func (p *Page) pt(xMM, yMM float64) (float64, float64) {
	return xMM * PointsPerMM, (p.hMM - yMM) * PointsPerMM
}

// Text writes s with its baseline's start at (xMM, yMM).
func (p *Page) Text(f Font, size, xMM, yMM float64, s string) {
	x, y := p.pt(xMM, yMM)
	fmt.Fprintf(&p.content, "BT /F%d %s Tf 1 0 0 1 %s %s Tm (%s) Tj ET\n", f+1, num(size), num(x), num(y), escape(s))
}

// TextRight writes s ending at xMM.
func (p *Page) TextRight(f Font, size, xMM, yMM float64, s string) {
	p.Text(f, size, xMM-Width(f, size, s), yMM, s)
}

// TextCentre writes s centred on xMM.
func (p *Page) TextCentre(f Font, size, xMM, yMM float64, s string) {
	p.Text(f, size, xMM-Width(f, size, s)/2, yMM, s)
}

// TextUp writes s reading upwards (turned 90° anticlockwise), its
// baseline at xMM, starting at yMM (the bottom of the text).
func (p *Page) TextUp(f Font, size, xMM, yMM float64, s string) {
	x, y := p.pt(xMM, yMM)
	fmt.Fprintf(&p.content, "BT /F%d %s Tf 0 1 -1 0 %s %s Tm (%s) Tj ET\n", f+1, num(size), num(x), num(y), escape(s))
}

// Line draws a line widthMM wide.
func (p *Page) Line(x1, y1, x2, y2, widthMM float64) {
	ax, ay := p.pt(x1, y1)
	bx, by := p.pt(x2, y2)
	fmt.Fprintf(&p.content, "%s w %s %s m %s %s l S\n", num(widthMM*PointsPerMM), num(ax), num(ay), num(bx), num(by))
}

// Rect outlines a rectangle whose top-left corner is (xMM, yMM).
func (p *Page) Rect(xMM, yMM, wMM, hMM, widthMM float64) {
	x, y := p.pt(xMM, yMM+hMM)
	fmt.Fprintf(&p.content, "%s w %s %s %s %s re S\n", num(widthMM*PointsPerMM), num(x), num(y), num(wMM*PointsPerMM), num(hMM*PointsPerMM))
}

// Fill fills a rectangle black (a barcode's bar).
func (p *Page) Fill(xMM, yMM, wMM, hMM float64) {
	x, y := p.pt(xMM, yMM+hMM)
	fmt.Fprintf(&p.content, "%s %s %s %s re f\n", num(x), num(y), num(wMM*PointsPerMM), num(hMM*PointsPerMM))
}

// Grey sets the grey level (0 black, 1 white) of what is drawn next,
// lines and text alike.
func (p *Page) Grey(level float64) {
	fmt.Fprintf(&p.content, "%s G %s g\n", num(level), num(level))
}

// Bytes is the finished document.
func (d *Document) Bytes() []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3 info, 4..6 fonts, then each page and its content.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, len(d.pages))
	for i := range d.pages {
		kids[i] = strconv.Itoa(7+2*i) + " 0 R"
	}
	obj("<< /Type /Pages /Kids [" + strings.Join(kids, " ") + "] /Count " + strconv.Itoa(len(d.pages)) + " >>")
	obj("<< /Title (" + escape(d.title) + ") /Producer (gpcloud) >>")
	for _, n := range fontNames {
		obj("<< /Type /Font /Subtype /Type1 /BaseFont /" + n + " /Encoding /WinAnsiEncoding >>")
	}
	for i, p := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 4 0 R /F2 5 0 R /F3 6 0 R >> >> /Contents %d 0 R >>",
			num(p.wMM*PointsPerMM), num(p.hMM*PointsPerMM), 8+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.content.Len(), p.content.String()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// escape writes s as the bytes of a PDF literal string in WinAnsi: the
// delimiters escaped, Latin-1 letters kept, and what the encoding lacks
// (or a control character) as "?".
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '’' || r == '‘':
			b.WriteByte('\'')
		case r == '–' || r == '—':
			b.WriteByte('-')
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
