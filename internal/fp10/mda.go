package fp10

import (
	"fmt"
	"strconv"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/pdf"
)

// The FP10MDA-SS is the blue NHS form for instalment dispensing, the
// computer-printed single sheet. It is not the FP10SS with another title
// (hazard H-827): the NHSBSA requires of an instalment prescription the
// number of instalments and the interval between them, for at most 14
// days, one drug to a form for a controlled drug, and its right-hand side
// is the pharmacy's grid, where the pharmacist records each instalment
// dispensed (date, item, quantity, initials) to claim the fees; there is
// no patient's copy.
//
// Sources: the NHSBSA's knowledge base ("What drugs and how many days
// supply can be prescribed on an FP10 MDA form in England?", "How do I
// as a contractor endorse an FP10 MDA prescription form?") and the
// PSNC's/Community Pharmacy England's instalment dispensing guidance
// (the grid on the right-hand side; prescribers may give "computer
// generated grids of instalment dates"). No public source gives the
// form's dimensions: the sheet is taken as A4 portrait and the left-hand
// form keeps the FP10SS's order of boxes (the dispensing-token overprint
// specification and OpenEyes' layout, as for the FP10SS), larger, with a
// box for the instalments and a grid of the dates of dispensing. The
// clinical safety officer checks every box with the alignment print
// (AlignmentMDA) on a real FP10MDA-SS, and moves the boxes in this one
// table, before the practice prints instalment prescriptions (H-827,
// H-860).

// The FP10MDA-SS sheet in millimetres: the prescription on the left
// MDAFormWidth wide, the pharmacy's grid beyond it.
const (
	MDASheetWidth, MDASheetHeight = 210.0, 297.0
	MDAFormWidth                  = 123.0
)

// The FP10MDA-SS's boxes.
var (
	MDAPharmacyStamp  = Field{"Pharmacy stamp", 3, 3, 38, 35}
	MDAAgeBox         = Field{"Age", 41, 3, 22, 10}
	MDABirthBox       = Field{"D.o.B", 41, 13, 22, 25}
	MDAPatientBox     = Field{"Title, forename, surname, address, NHS number", 63, 3, 60, 35}
	MDAEndorsements   = Field{"Endorsements", 3, 38, 28, 130}
	MDADaysBox        = Field{"Number of days' treatment (at most 14)", 31, 38, 76, 10}
	MDAItemBox        = Field{"Drug, form, strength; total quantity in words and figures; dose", 31, 48, 76, 50}
	MDAInstalmentBox  = Field{"Instalments: number, amount, interval, first and last, supervised consumption", 31, 98, 76, 70}
	MDABarcodeColumn  = Field{"Prescription id (barcode)", 107, 38, 16, 130}
	MDAScheduleBox    = Field{"Dates of dispensing (one cell a collection)", 3, 168, 120, 45}
	MDASignatureBox   = Field{"Signature of prescriber", 3, 213, 80, 16}
	MDADateBox        = Field{"Date", 83, 213, 40, 16}
	MDADispenserBox   = Field{"For dispenser", 3, 229, 17, 35}
	MDAPrescriberBox  = Field{"Prescriber, practice name and address", 20, 229, 60, 35}
	MDACodesBox       = Field{"Prescriber code, practice code, postcode", 80, 229, 43, 35}
	MDADispensingGrid = Field{"Pharmacy's record of instalments dispensed (date, item, quantity, pharmacist's initials): the pharmacy completes it; gpcloud never prints on it",
		MDAFormWidth + 5, 3, MDASheetWidth - MDAFormWidth - 8, 261}
)

// MDAFields are all the FP10MDA-SS's boxes, for the alignment print.
var MDAFields = []Field{MDAPharmacyStamp, MDAAgeBox, MDABirthBox, MDAPatientBox, MDAEndorsements, MDADaysBox, MDAItemBox,
	MDAInstalmentBox, MDABarcodeColumn, MDAScheduleBox, MDASignatureBox, MDADateBox, MDADispenserBox, MDAPrescriberBox,
	MDACodesBox, MDADispensingGrid}

// MDABarcode is the barcode's box in the FP10MDA-SS's column: the
// FP10SS's size and margins (9 × 62 mm, at least 8 mm from the column's
// ends, 6 mm from the form's right edge).
var MDABarcode = Field{"Barcode", MDABarcodeColumn.X + 1, MDABarcodeColumn.Y + 34, 9, 62}

// MaxCollections is how many collections the dates-of-dispensing grid
// holds: two rows of a week, for the 14 days an FP10MDA may cover.
const MaxCollections = 14

const (
	scheduleCols = 7
	cellSize     = 7.0 // points
	cellLine     = 3.3
)

// Unfit is why a prescription cannot be printed on the FP10MDA-SS: it
// does not fit the form. The layout refuses rather than cut a line or
// spill on to a second form (a controlled drug's prescription on two
// forms is not one the pharmacist can accept); the prescriber writes it
// by hand on an FP10MDA.
type Unfit struct{ Reason string }

func (e *Unfit) Error() string { return "FP10MDA-SS: " + e.Reason }

// mdaLines lays out text in a box of the FP10MDA-SS in its item type,
// wrapped to the box's width less the margins.
func mdaLines(box Field, texts ...string) []string {
	var out []string
	for _, s := range texts {
		out = append(out, pdf.Wrap(font, itemSize, box.W-2*itemMargin, s)...)
	}
	return out
}

// linesIn is how many item lines a box holds.
func linesIn(box Field) int { return int(box.H / itemLine) }

// mdaItem is the item box's lines: the drug with its form and strength
// (the dm+d name), the total quantity in words and figures, the dose,
// and any further directions.
func mdaItem(it clinical.FP10Item) []string {
	texts := []string{it.Product, "Total quantity: " + it.Quantity, "Dose: " + it.Dose}
	return mdaLines(MDAItemBox, append(texts, it.Directions...)...)
}

// mdaInstalments is the instalment box's lines. Supervised consumption
// is on lines of its own after a blank line, so that it is not missed.
func mdaInstalments(in clinical.FP10Instalments) []string {
	out := mdaLines(MDAInstalmentBox,
		"Number of instalments: "+strconv.Itoa(in.Count),
		"Each instalment: "+in.Amount,
		"Interval: "+in.Interval,
		"First instalment: "+in.Start)
	if in.End != "" {
		out = append(out, mdaLines(MDAInstalmentBox, "Last instalment: "+in.End)...)
	}
	out = append(out, "")
	if in.Supervised {
		return append(out, mdaLines(MDAInstalmentBox, "SUPERVISED CONSUMPTION: each dose to be taken under the pharmacist's supervision")...)
	}
	return append(out, mdaLines(MDAInstalmentBox, "Not supervised: the instalments are taken home")...)
}

// RenderMDA prints an instalment prescription on the FP10MDA-SS, one
// form. It refuses (*Unfit) a prescription of more than one drug, one
// without its instalment schedule or with more collections than the
// grid holds, and any text that would not fit its box whole.
func RenderMDA(f clinical.FP10) ([]byte, error) {
	switch {
	case len(f.Items) != 1:
		return nil, &Unfit{fmt.Sprintf("an FP10MDA-SS holds one drug (a controlled drug's instalments, one to a form); this prescription has %d items.", len(f.Items))}
	case f.Instalments == nil:
		return nil, &Unfit{"this prescription has no instalment schedule."}
	case len(f.Instalments.Collections) > MaxCollections:
		return nil, &Unfit{fmt.Sprintf("the dates of dispensing hold %d collections; this schedule has %d.", MaxCollections, len(f.Instalments.Collections))}
	}
	item, inst := mdaItem(f.Items[0]), mdaInstalments(*f.Instalments)
	if n := linesIn(MDAItemBox) - 1; len(item) > n { // the last line is struck through at least
		return nil, &Unfit{fmt.Sprintf("the drug, quantity, dose and directions take %d lines; the form's item box holds %d.", len(item), n)}
	}
	if n := linesIn(MDAInstalmentBox); len(inst) > n {
		return nil, &Unfit{fmt.Sprintf("the instalment directions take %d lines; the form's instalment box holds %d.", len(inst), n)}
	}
	for _, c := range f.Instalments.Collections {
		if w := cellWidth() - 2; pdf.Width(font, cellSize, c.Amount) > w || pdf.Width(font, cellSize, c.Date) > w {
			return nil, &Unfit{"a collection's amount is too wide for its cell in the dates of dispensing."}
		}
	}

	doc := pdf.New(clinical.FormFP10MDA + " prescription")
	p := doc.AddPage(MDASheetWidth, MDASheetHeight)
	// The reasons name the box, not the text: they are audited.
	if cut := patientAt(p, f.Patient, MDAAgeBox, MDABirthBox, MDAPatientBox, MDAFormWidth-5); len(cut) > 0 {
		return nil, &Unfit{"a line of the patient's name or address is too long for its box (a name or address is never wrapped)."}
	}
	if cut := prescriberAt(p, f, MDAPrescriberBox, MDACodesBox); len(cut) > 0 {
		return nil, &Unfit{"a line of the prescriber's or the practice's name or address is too long for its box (never wrapped)."}
	}
	if f.Days > 0 {
		p.TextCentre(font, textSize, MDADaysBox.X+MDADaysBox.W-8, MDADaysBox.Y+6.5, strconv.Itoa(f.Days))
	}
	struck(p, MDAItemBox, item)
	struck(p, MDAInstalmentBox, inst)
	schedule(p, f.Instalments.Collections)
	if _, err := p.Barcode128Up(MDABarcode.X, MDABarcode.Y, MDABarcode.W, MDABarcode.H, f.PrescriptionID); err != nil {
		return nil, err
	}
	idWidth := pdf.Width(font, textSize, f.PrescriptionID)
	p.TextUp(font, textSize, MDABarcode.X+MDABarcode.W+3.2, MDABarcode.Y+MDABarcode.H/2+idWidth/2, f.PrescriptionID)
	p.TextCentre(font, textSize, MDADateBox.X+MDADateBox.W/2, MDADateBox.Y+9, f.Date)
	return doc.Bytes(), nil
}

// struck prints lines in a box, then strikes through the lines left (an
// "X" on each and a line from the last text's corner to the box's) so
// that nothing can be added, as on the FP10SS.
func struck(p *pdf.Page, box Field, lines []string) {
	left := box.X + itemMargin
	at := func(i int) float64 { return box.Y + float64(i+1)*itemLine - 0.9 }
	for i, l := range lines {
		if l != "" {
			p.Text(font, itemSize, left, at(i), l)
		}
	}
	i, last := len(lines), linesIn(box)-1
	if i > last {
		return
	}
	top := at(i) - itemLine + 0.9
	for ; i <= last; i++ {
		p.TextCentre(font, itemSize, box.X+box.W/2, at(i), "X")
	}
	p.Line(box.X+1, top, box.X+box.W-1, box.Y+box.H-0.5, 0.3)
}

func cellWidth() float64 { return (MDAScheduleBox.W - 2) / scheduleCols }

// scheduleHead is the height of the heading line of the dates of
// dispensing; cellHeight a cell's, two rows under it.
const scheduleHead = 6.0

func cellHeight() float64 { return (MDAScheduleBox.H - scheduleHead - 1) / 2 }

// scheduleCell is the top-left corner of the i-th cell of the dates of
// dispensing: a week to a row under a heading line.
func scheduleCell(i int) (x, y float64) {
	return MDAScheduleBox.X + 1 + float64(i%scheduleCols)*cellWidth(), MDAScheduleBox.Y + scheduleHead + float64(i/scheduleCols)*cellHeight()
}

// schedule prints the dates of dispensing: a heading, then a cell for
// each collection with its day, date and amount (and how many days'
// instalments when more than one, before a closure); the cells left are
// crossed out.
func schedule(p *pdf.Page, cs []clinical.FP10Collection) {
	p.Text(font, textSize, MDAScheduleBox.X+2, MDAScheduleBox.Y+4,
		fmt.Sprintf("Dates of dispensing: %d collection%s", len(cs), map[bool]string{true: "", false: "s"}[len(cs) == 1]))
	w, h := cellWidth(), cellHeight()
	for i := 0; i < MaxCollections; i++ {
		x, y := scheduleCell(i)
		p.Rect(x, y, w, h, 0.2)
		if i >= len(cs) {
			p.Line(x, y, x+w, y+h, 0.2)
			p.Line(x, y+h, x+w, y, 0.2)
			continue
		}
		c := cs[i]
		put := func(n int, s string) { p.Text(font, cellSize, x+1, y+3.5+float64(n)*cellLine, s) }
		put(0, c.Day)
		put(1, c.Date)
		put(2, c.Amount)
		if c.Days > 1 {
			put(3, "("+strconv.Itoa(c.Days)+" days)")
		}
	}
}

// AlignmentMDA is the FP10MDA-SS's alignment print, as Alignment is the
// FP10SS's: every box outlined and named, the pharmacy's grid among
// them, the barcode's box and a millimetre scale.
func AlignmentMDA() []byte {
	return alignment(clinical.FormFP10MDA, MDASheetWidth, MDASheetHeight, MDAFields, MDABarcode, 4, 280)
}
