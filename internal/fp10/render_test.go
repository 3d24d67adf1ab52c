package fp10

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/pdf"
)

func sample() clinical.FP10 {
	return clinical.FP10{
		Form: "FP10SS", PrescriptionID: "A7F3C2-Y00000-9B1E4K",
		Patient: clinical.FP10Patient{Name: "Miss Amelia SMITH", Address: []string{"12 Acacia Avenue", "Headingley", "Leeds"},
			Postcode: "LS6 3AA", NHSNumber: "943 476 5919", BirthDate: "04/05/2018", Age: "8", Under12: true},
		Items: []clinical.FP10Item{{Product: "Methadone 1mg/ml oral solution sugar free", Quantity: "140 (one hundred and forty) ml",
			Dose: "Take 10ml once a day", Directions: []string{"Instalments: 10ml daily for 14 days, supervised consumption"}}},
		Days:        14,
		Prescriber:  clinical.FP10Prescriber{Name: "Dr Asha Patel", Code: "7654321", Type: "Doctor (independent prescriber)", TypeCode: "0101"},
		Practice:    clinical.FP10Practice{Name: "Riverside Surgery", Address: []string{"1 River Street", "Leeds"}, Postcode: "LS1 4AP", ODS: "Y12345", Phone: "0113 496 0000"},
		Date:        "01/12/2026",
		Description: "Instalment prescription",
	}
}

// inside reports a text placed within a field's box (its baseline start;
// an upward text by its start too), on the given page.
func inside(t pdf.Placed, f Field) bool {
	x, y := t.X/pdf.PointsPerMM, SheetHeight-t.Y/pdf.PointsPerMM
	const e = 0.01
	return x >= f.X-e && x <= f.X+f.W+e && y >= f.Y-e && y <= f.Y+f.H+e
}

// find is the first text containing s.
func find(c pdf.Content, s string) (pdf.Placed, bool) {
	for _, t := range c.Texts {
		if strings.Contains(t.Text, s) && !inside(t, RightHandSide) {
			return t, true
		}
	}
	return pdf.Placed{}, false
}

func TestEachFieldInItsBox(t *testing.T) {
	data, err := Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	c, err := pdf.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pages != 1 {
		t.Fatalf("%d forms, want 1", c.Pages)
	}
	for _, tc := range []struct {
		text  string
		field Field
	}{
		{"8", AgeBox}, {"04/05/2018", BirthBox}, {"Miss Amelia SMITH", PatientBox}, {"12 Acacia Avenue", PatientBox},
		{"LS6 3AA", PatientBox}, {"943 476 5919", PatientBox}, {"14", DaysBox}, {"Instalment prescription", ItemsBox},
		{"Methadone 1mg/ml", ItemsBox}, {"140 (one hundred and", ItemsBox}, {"Take 10ml once a day", ItemsBox},
		{"supervised consumption", ItemsBox}, {"A7F3C2-Y00000-9B1E4K", BarcodeColumn}, {"01/12/2026", DateBox},
		{"Dr Asha Patel", PrescriberBox}, {"Riverside Surgery", PrescriberBox}, {"1 River Street", PrescriberBox},
		{"7654321", CodesBox}, {"Y12345", CodesBox}, {"LS1 4AP", CodesBox}, {"Type 0101", CodesBox},
	} {
		got, ok := find(c, tc.text)
		if !ok {
			t.Errorf("%q is not printed", tc.text)
			continue
		}
		if !inside(got, tc.field) {
			t.Errorf("%q at (%.1f, %.1f) mm is outside %s", tc.text, got.X/pdf.PointsPerMM, SheetHeight-got.Y/pdf.PointsPerMM, tc.field.Name)
		}
		if got.Font != "F2" {
			t.Errorf("%q is not in Helvetica-Bold (Arial bold): %s", tc.text, got.Font)
		}
	}
	if id, _ := find(c, "A7F3C2-Y00000-9B1E4K"); !id.Up {
		t.Error("the prescription id is not printed vertically")
	}
	if code, _ := find(c, "7654321"); code.Size != 12 {
		t.Errorf("the prescriber code is %v pt, want 12", code.Size)
	}
	// The unused lines are struck through: an X on each, down to the box's last line.
	xs := 0
	for _, tx := range c.Texts {
		if tx.Text == "X" && inside(tx, ItemsBox) {
			xs++
		}
	}
	if xs < 10 {
		t.Errorf("%d lines struck through, want the rest of the box", xs)
	}
	// The barcode: its bars inside the tolerance box, reading upwards.
	bars := 0
	for _, b := range c.Boxes {
		if b.Filled {
			bars++
			x, y := b.X/pdf.PointsPerMM, SheetHeight-(b.Y+b.H)/pdf.PointsPerMM
			if x < Barcode.X-0.01 || x+b.W/pdf.PointsPerMM > Barcode.X+Barcode.W+0.01 || y < Barcode.Y-0.01 || y > Barcode.Y+Barcode.H {
				t.Errorf("a bar at (%.1f, %.1f) is outside the barcode's box", x, y)
			}
		}
	}
	if bars != 3*(20+2)+4 { // 20 characters, start and check: 3 bars each; the stop has 4
		t.Errorf("%d bars", bars)
	}
	if Barcode.W < 8 || Barcode.W > 12 || Barcode.H < 55 || Barcode.H > 68 || Barcode.Y-BarcodeColumn.Y < 8 ||
		BarcodeColumn.Y+BarcodeColumn.H-(Barcode.Y+Barcode.H) < 8 || FormWidth-(Barcode.X+Barcode.W) < 6 {
		t.Errorf("the barcode's box %+v is outside the specification's tolerances", Barcode)
	}
	// The patient's copy on the right-hand side.
	rhs := 0
	for _, tx := range c.Texts {
		if inside(tx, RightHandSide) {
			rhs++
		}
	}
	if rhs < 10 {
		t.Errorf("the right-hand side has %d lines", rhs)
	}
	writeShot(t, "fp10ss", data)
}

func TestLongItemsRunOnToAnotherForm(t *testing.T) {
	f := sample()
	long := clinical.FP10Item{Product: "Paracetamol 500mg tablets", Quantity: "32 tablets", Dose: strings.Repeat("Take one or two tablets up to four times a day. ", 12)}
	f.Items = []clinical.FP10Item{f.Items[0], long}
	data, err := Render(f)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pdf.Read(data)
	if c.Pages != 2 {
		t.Fatalf("%d forms, want 2", c.Pages)
	}
	cont := false
	for _, tx := range c.Texts {
		if tx.Page == 0 && tx.Text == "Continued on form 2 of 2" {
			cont = true
		}
		if tx.Page == 1 && strings.Contains(tx.Text, "Paracetamol") && inside(tx, ItemsBox) {
			t.Error("the second item is split from its start: it should begin on form 2")
		}
	}
	if !cont {
		t.Error("form 1 does not say it continues")
	}
	ids := 0
	for _, tx := range c.Texts {
		if tx.Text == f.PrescriptionID && tx.Up {
			ids++
		}
	}
	if ids != 2 {
		t.Errorf("the prescription id is on %d forms, want 2", ids)
	}
}

func TestAlignmentNamesEveryBox(t *testing.T) {
	data := Alignment()
	c, err := pdf.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	outlined := 0
	for _, b := range c.Boxes {
		if !b.Filled {
			outlined++
		}
	}
	if outlined != len(Fields)+1 {
		t.Errorf("%d boxes outlined, want %d", outlined, len(Fields)+1)
	}
	writeShot(t, "fp10ss-alignment", data)
}

// writeShot renders the PDF to a PNG with poppler under
// GPCLOUD_SCREENSHOTS, to look at; and with it checks that poppler reads
// the file.
func writeShot(t *testing.T, name string, data []byte) {
	dir := os.Getenv("GPCLOUD_SCREENSHOTS")
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		return
	}
	if dir == "" {
		dir = t.TempDir()
	}
	_ = os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "150", "-png", file, filepath.Join(dir, name)).CombinedOutput(); err != nil || len(out) > 0 && strings.Contains(string(out), "Error") {
		t.Fatalf("poppler cannot read the PDF: %v %s", err, out)
	}
}

// TestEndorsementBesideItem: the prescriber's SLS endorsement is printed
// beside the item in the items box: after its quantity, before the dose.
func TestEndorsementBesideItem(t *testing.T) {
	f := sample()
	f.Form, f.Description = "FP10SS", ""
	f.Items = []clinical.FP10Item{{Product: "Oseltamivir 75mg capsules", Quantity: "10 capsules", Dose: "One capsule twice a day for 5 days", Endorsements: []string{"SLS"}}}
	data, err := Render(f)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pdf.Read(data)
	// The product and quantity wrap; SLS ends them, before the dose.
	var lines []string
	for _, tx := range c.Texts {
		if inside(tx, ItemsBox) {
			lines = append(lines, tx.Text)
		}
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "capsules SLS\nOne capsule twice a day") || !strings.HasPrefix(all, "Oseltamivir 75mg capsules") {
		t.Errorf("SLS is not beside the item in the items box:\n%s", all)
	}
	writeShot(t, "fp10ss-sls", data)
}
