// Package fp10 prints a prescription on the NHS FP10SS form (the green
// single-sheet form a GP practice's printer overprints) as a PDF: each
// field of clinical.FP10 in its box, the prescription id as a Code 128
// barcode, the unused part of the items box struck through so that
// nothing can be added, and the plain right-hand side as the patient's
// copy.
//
// The layout is not the NHSBSA overprint specification, which is not
// published where gpcloud could read it. It follows the two public
// sources nearest to it: NHS Digital's dispensing-token overprint
// specification (github.com/nhsconnect/dispensing-token, which the
// FP10SS shares: fonts, what each box holds, the barcode's size and
// margins, striking through the unused lines) and OpenEyes' FP10 print
// layout (AppertaFoundation/openeyes, OphDrPrescription fpten.css: the
// boxes' positions in millimetres). The clinical safety officer checks
// it against the NHSBSA specification with an alignment print
// (Alignment: every box drawn and named) on a real FP10SS before the
// practice prints prescriptions (hazard H-820). An instalment
// prescription prints on the FP10MDA-SS instead: its own layout and
// alignment print, in mda.go.
package fp10

// Sheet is the printed sheet, A5 portrait, in millimetres: the form on
// the left FormWidth wide, the plain right-hand side (the patient's
// copy) beyond it.
const (
	SheetWidth, SheetHeight = 148.0, 210.0
	FormWidth               = 105.0
)

// Field is a box of the form, in millimetres from the sheet's top left.
type Field struct {
	Name       string
	X, Y, W, H float64
}

// The form's boxes.
var (
	PharmacyStamp = Field{"Pharmacy stamp", 3, 3, 30, 28}
	AgeBox        = Field{"Age", 33, 3, 20, 10}
	BirthBox      = Field{"D.o.B", 33, 13, 20, 18}
	PatientBox    = Field{"Title, forename, surname, address, NHS number", 53, 3, 50, 28}
	Endorsements  = Field{"Endorsements", 3, 31, 27, 90}
	DaysBox       = Field{"Number of days' treatment", 30, 31, 59, 10}
	ItemsBox      = Field{"Prescribed items", 30, 41, 59, 80}
	BarcodeColumn = Field{"Prescription id (barcode)", 89, 31, 16, 90}
	SignatureBox  = Field{"Signature of prescriber", 3, 121, 58, 12}
	DateBox       = Field{"Date", 61, 121, 28, 12}
	DispenserBox  = Field{"For dispenser: no. of prescns on form", 3, 133, 14, 31}
	PrescriberBox = Field{"Prescriber, practice name and address", 17, 133, 45, 31}
	CodesBox      = Field{"Prescriber code, practice code, postcode", 62, 133, 30, 31}
	RightHandSide = Field{"Right-hand side (patient's copy)", FormWidth + 3, 3, SheetWidth - FormWidth - 6, SheetHeight - 6}
)

// Fields are all the boxes, for the alignment print.
var Fields = []Field{PharmacyStamp, AgeBox, BirthBox, PatientBox, Endorsements, DaysBox, ItemsBox, BarcodeColumn,
	SignatureBox, DateBox, DispenserBox, PrescriberBox, CodesBox, RightHandSide}

// Type sizes (points) and spacing (millimetres), as the overprint
// specification gives them: Arial bold 7.5 pt (Helvetica-Bold, its
// base-14 equal), the prescriber's code 12 pt, items 7.5 to 10 pt.
const (
	textSize   = 7.5
	itemSize   = 8.0
	codeSize   = 12.0
	line       = 3.2 // a 7.5 pt line
	itemLine   = 3.6 // an item line: 22 in the items box, as OpenEyes has it
	itemMargin = 5.0 // the specification's gap between the text and the box's edge
)

// Barcode is where the prescription id's barcode goes: in the right-hand
// column, 9 mm wide (8 to 12) and 62 mm tall (55 to 68), at least 8 mm
// from the column's top and bottom, 1 mm from its left and 6 mm from the
// form's right edge (the human-readable id is printed there).
var Barcode = Field{"Barcode", BarcodeColumn.X + 1, BarcodeColumn.Y + 14, 9, 62}

// ItemLines is how many item lines the items box holds.
func ItemLines() int { return int(ItemsBox.H / itemLine) }
