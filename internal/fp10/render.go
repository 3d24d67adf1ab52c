package fp10

import (
	"fmt"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/pdf"
)

const font = pdf.HelveticaBold

// itemRow is one line of the items box: text, or a separator between
// items.
type itemRow struct {
	text string
	sep  bool
}

// rows lays out one item: the product and the quantity on a line
// (wrapping) followed by the prescriber's endorsements (SLS), the dose on its own line, then its further directions, a
// blank line and the separator, as the overprint specification orders
// them.
func rows(it clinical.FP10Item) []itemRow {
	width := ItemsBox.W - 2*itemMargin
	var out []itemRow
	add := func(s string) {
		for _, l := range pdf.Wrap(font, itemSize, width, s) {
			out = append(out, itemRow{text: l})
		}
	}
	first := it.Product + "  " + it.Quantity
	for _, e := range it.Endorsements {
		first += "  " + e
	}
	add(first)
	add(it.Dose)
	for _, d := range it.Directions {
		add(d)
	}
	return append(out, itemRow{}, itemRow{sep: true})
}

// pages splits the items into forms: as many whole items as the items
// box holds under the description; an item longer than a whole form
// runs on to the next. Every form of one prescription carries its id.
func pages(f clinical.FP10) [][]itemRow {
	head := 0
	if f.Description != "" {
		head = 2 // the description and a blank line
	}
	room := ItemLines() - head - 1 // the last line says "continued" or is struck through
	var out [][]itemRow
	var cur []itemRow
	for _, it := range f.Items {
		r := rows(it)
		if len(cur)+len(r) > room && len(cur) > 0 && len(r) <= room {
			out, cur = append(out, cur), nil
		}
		for len(cur)+len(r) > room {
			n := room - len(cur)
			cur = append(cur, r[:n]...)
			out, cur, r = append(out, cur), nil, r[n:]
		}
		cur = append(cur, r...)
	}
	return append(out, cur)
}

// Render prints the prescription: one form per sheet, more sheets only
// when its items do not fit on one.
// An instalment prescription (clinical.FormFP10MDA) prints on the
// FP10MDA-SS layout instead (RenderMDA).
func Render(f clinical.FP10) ([]byte, error) {
	if f.Form == clinical.FormFP10MDA {
		return RenderMDA(f)
	}
	doc := pdf.New(f.Form + " prescription")
	forms := pages(f)
	for i, rows := range forms {
		p := doc.AddPage(SheetWidth, SheetHeight)
		if err := form(p, f, rows, i+1, len(forms)); err != nil {
			return nil, err
		}
	}
	return doc.Bytes(), nil
}

// form prints one sheet.
func form(p *pdf.Page, f clinical.FP10, items []itemRow, n, of int) error {
	patientAt(p, f.Patient, AgeBox, BirthBox, PatientBox, FormWidth-5)
	if f.Days > 0 {
		p.TextCentre(font, textSize, DaysBox.X+DaysBox.W-8, DaysBox.Y+6.5, strconv.Itoa(f.Days))
	}
	itemsBox(p, f, items, n, of)
	if _, err := p.Barcode128Up(Barcode.X, Barcode.Y, Barcode.W, Barcode.H, f.PrescriptionID); err != nil {
		return err
	}
	idWidth := pdf.Width(font, textSize, f.PrescriptionID)
	p.TextUp(font, textSize, Barcode.X+Barcode.W+3.2, Barcode.Y+Barcode.H/2+idWidth/2, f.PrescriptionID)
	p.TextCentre(font, textSize, DateBox.X+DateBox.W/2, DateBox.Y+7.5, f.Date)
	prescriberAt(p, f, PrescriberBox, CodesBox)
	rightHandSide(p, f, n, of)
	return nil
}

// fit cuts s to wMM: the overprint specification asks that names and
// addresses are never wrapped.
func fit(s string, size, wMM float64) string {
	r := []rune(s)
	for len(r) > 0 && pdf.Width(font, size, string(r)) > wMM {
		r = r[:len(r)-1]
	}
	return string(r)
}

// patientAt prints the age, date of birth and the patient's box: the
// name, a blank line, the address (the postcode on its last line, aligned
// with the NHS number), a blank line and the NHS number ending at right
// (5 mm from the form's edge). It answers the lines it had to cut (the
// overprint specification never wraps a name or an address): the
// FP10SS prints them cut as before, the FP10MDA-SS refuses them.
func patientAt(p *pdf.Page, pt clinical.FP10Patient, ageBox, birthBox, box Field, right float64) (cut []string) {
	p.TextCentre(font, textSize, ageBox.X+ageBox.W/2, ageBox.Y+7, pt.Age)
	p.TextCentre(font, textSize, birthBox.X+birthBox.W/2, birthBox.Y+7, pt.BirthDate)
	left := box.X + 2
	put := func(x, y, w float64, s string) {
		f := fit(s, textSize, w)
		if f != s {
			cut = append(cut, s)
		}
		p.Text(font, textSize, x, y, f)
	}
	nhs := pt.NHSNumber
	if nhs == "" {
		nhs = "NHS no. not known"
	}
	postcodeX := right - pdf.Width(font, textSize, nhs)
	gap := line
	if len(pt.Address) > 4 {
		gap = 0 // five address lines: no blank lines
	}
	y := box.Y + 3.5
	put(left, y, right-left, pt.Name)
	y += line + gap
	for i, l := range pt.Address {
		w := right - left
		if i == len(pt.Address)-1 && pt.Postcode != "" {
			w = postcodeX - left - 1
		}
		put(left, y, w, l)
		if i < len(pt.Address)-1 {
			y += line
		}
	}
	if pt.Postcode != "" {
		p.Text(font, textSize, postcodeX, y, pt.Postcode)
	}
	p.Text(font, textSize, postcodeX, y+line+gap, nhs)
	return cut
}

// itemsBox prints the description, the items with their separators,
// and strikes through the lines left: an "X" centred on each and a line
// from the last item's corner to the box's, so that nothing can be
// added.
func itemsBox(p *pdf.Page, f clinical.FP10, items []itemRow, n, of int) {
	left, right := ItemsBox.X+itemMargin, ItemsBox.X+ItemsBox.W-itemMargin
	at := func(i int) float64 { return ItemsBox.Y + float64(i+1)*itemLine - 0.9 }
	i := 0
	if f.Description != "" {
		p.TextRight(font, itemSize, right, at(0), f.Description)
		i = 2
	}
	for _, r := range items {
		if r.sep {
			y := at(i) - itemLine/2 + 0.9
			p.Line(ItemsBox.X+1, y, ItemsBox.X+ItemsBox.W-1, y, 0.3)
		} else if r.text != "" {
			p.Text(font, itemSize, left, at(i), r.text)
		}
		i++
	}
	last := ItemLines() - 1
	if n < of {
		p.TextCentre(font, itemSize, ItemsBox.X+ItemsBox.W/2, at(last), fmt.Sprintf("Continued on form %d of %d", n+1, of))
		return
	}
	if i > last {
		return
	}
	top := at(i) - itemLine + 0.9
	for ; i <= last; i++ {
		p.TextCentre(font, itemSize, ItemsBox.X+ItemsBox.W/2, at(i), "X")
	}
	p.Line(ItemsBox.X+1, top, ItemsBox.X+ItemsBox.W-1, ItemsBox.Y+ItemsBox.H-0.5, 0.3)
	if of > 1 {
		p.TextCentre(font, textSize, DispenserBox.X+DispenserBox.W/2, DispenserBox.Y+DispenserBox.H-3, fmt.Sprintf("%d of %d", n, of))
	}
}

// prescriberAt prints the prescriber's address box (name, the type of a
// prescriber who is not a doctor, on whose behalf, the practice's name,
// three address lines and telephone) and the codes beside it: the
// professional code in 12 pt on the name's line, then the practice's
// ODS code, the postcode and the EPS prescriber type, left-aligned with
// each other. It answers the lines it had to cut, as patientAt does.
func prescriberAt(p *pdf.Page, f clinical.FP10, box, codes Field) (cut []string) {
	left, w := box.X+1.5, box.W-2
	y := box.Y + 4
	put := func(s string) {
		if s != "" {
			fitted := fit(s, textSize, w)
			if fitted != s {
				cut = append(cut, s)
			}
			p.Text(font, textSize, left, y, fitted)
			y += line
		}
	}
	put(f.Prescriber.Name)
	if f.Prescriber.TypeCode != "" && f.Prescriber.TypeCode != "0101" {
		put(f.Prescriber.Type)
	}
	if f.Prescriber.OnBehalf != "" {
		put("On behalf of " + f.Prescriber.OnBehalf)
	}
	put(f.Practice.Name)
	for _, l := range f.Practice.Address {
		put(l)
	}
	if f.Practice.Phone != "" {
		put("Tel " + f.Practice.Phone)
	}
	cx := codes.X + 2
	p.Text(font, codeSize, cx, codes.Y+5.5, f.Prescriber.Code)
	p.Text(font, textSize, cx, codes.Y+12, f.Practice.ODS)
	p.Text(font, textSize, cx, codes.Y+12+line, f.Practice.Postcode)
	if f.Prescriber.TypeCode != "" {
		p.Text(font, textSize, cx, codes.Y+12+2*line, "Type "+f.Prescriber.TypeCode)
	}
	return cut
}

// rightHandSide prints the patient's copy on the plain right-hand side:
// the patient at the top, the practice apart below, the items with their
// directions, the prescription id, and the page number at the bottom.
func rightHandSide(p *pdf.Page, f clinical.FP10, n, of int) {
	const size = 7.0
	left, w := RightHandSide.X, RightHandSide.W
	y := RightHandSide.Y + 4
	put := func(fnt pdf.Font, s string) {
		for _, l := range pdf.Wrap(fnt, size, w, s) {
			p.Text(fnt, size, left, y, l)
			y += 3
		}
	}
	put(font, "Patient's copy: keep this part")
	y += 1.5
	put(font, f.Patient.Name)
	put(pdf.Helvetica, "Born "+f.Patient.BirthDate)
	if f.Patient.NHSNumber != "" {
		put(pdf.Helvetica, "NHS number "+f.Patient.NHSNumber)
	}
	for _, l := range f.Patient.Address {
		put(pdf.Helvetica, l)
	}
	put(pdf.Helvetica, f.Patient.Postcode)
	y += 2
	p.Line(left, y-2, left+w, y-2, 0.2)
	y += 1
	put(font, f.Practice.Name)
	for _, l := range f.Practice.Address {
		put(pdf.Helvetica, l)
	}
	put(pdf.Helvetica, f.Practice.Postcode)
	y += 2
	p.Line(left, y-2, left+w, y-2, 0.2)
	y += 1
	if n == 1 {
		if f.Description != "" {
			put(font, f.Description)
		}
		for _, it := range f.Items {
			put(font, it.Product)
			put(pdf.Helvetica, it.Quantity)
			put(pdf.Helvetica, it.Dose)
			for _, d := range it.Directions {
				put(pdf.Helvetica, d)
			}
			y += 2
		}
	}
	put(pdf.Helvetica, "Prescription "+f.PrescriptionID)
	put(pdf.Helvetica, "Issued "+f.Date+" by "+f.Prescriber.Name)
	p.TextCentre(pdf.Helvetica, size, left+w/2, RightHandSide.Y+RightHandSide.H-2, fmt.Sprintf("Page %d of %d", n, of))
}

// Alignment is the test print the clinical safety officer makes on a
// real FP10SS before the practice prints prescriptions: every box
// outlined and named, the barcode's tolerance box, and a millimetre
// scale along the top and left edges to measure any offset.
func Alignment() []byte {
	return alignment("FP10SS", SheetWidth, SheetHeight, Fields, Barcode, 4, 175)
}

// alignment prints a form's boxes outlined and named, the barcode's box,
// a millimetre scale, and a note at (noteX, noteY).
func alignment(form string, w, h float64, fields []Field, barcode Field, noteX, noteY float64) []byte {
	doc := pdf.New(form + " alignment print")
	p := doc.AddPage(w, h)
	for _, f := range fields {
		p.Rect(f.X, f.Y, f.W, f.H, 0.2)
		y := f.Y + 3
		for _, l := range pdf.Wrap(pdf.Helvetica, 5.5, f.W-2, f.Name) {
			if y > f.Y+f.H-1 {
				break
			}
			p.Text(pdf.Helvetica, 5.5, f.X+1, y, l)
			y += 2.3
		}
	}
	p.Rect(barcode.X, barcode.Y, barcode.W, barcode.H, 0.4)
	for mm := 10; mm < int(w); mm += 10 {
		p.Line(float64(mm), 0, float64(mm), 2, 0.2)
		p.Text(pdf.Helvetica, 4.5, float64(mm)+0.3, 2, strconv.Itoa(mm))
	}
	for mm := 10; mm < int(h); mm += 10 {
		p.Line(0, float64(mm), 2, float64(mm), 0.2)
	}
	p.Text(font, 7, noteX, noteY, "gpcloud "+form+" alignment print: each box should sit in the")
	p.Text(font, 7, noteX, noteY+3.5, "form's own box. Check it against the NHSBSA specification.")
	return doc.Bytes()
}
