package fp10

import (
	"errors"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/pdf"
)

// mdaSample is methadone 60 ml a day for 14 days, supervised, collected
// Monday to Saturday (the Saturday collection takes Sunday's too).
func mdaSample() clinical.FP10 {
	f := sample()
	f.Form, f.Description = clinical.FormFP10MDA, ""
	f.Patient.BirthDate, f.Patient.Age, f.Patient.Under12 = "12/03/1970", "56", false
	f.Items = []clinical.FP10Item{{Product: "Methadone 1mg/ml oral solution sugar free", Quantity: "840 (eight hundred and forty) ml", Dose: "Take 60ml once a day"}}
	f.Instalments = &clinical.FP10Instalments{Count: 14, Amount: "60 (sixty) ml", Start: "Monday 07/12/2026", End: "Sunday 20/12/2026", Supervised: true,
		Interval: "Daily, collected on Monday, Tuesday, Wednesday, Thursday, Friday and Saturday; instalments due on days the pharmacy is closed to be dispensed on the day before the closure"}
	for _, d := range []struct{ day, date string }{{"Mon", "07"}, {"Tue", "08"}, {"Wed", "09"}, {"Thu", "10"}, {"Fri", "11"}, {"Sat", "12"},
		{"Mon", "14"}, {"Tue", "15"}, {"Wed", "16"}, {"Thu", "17"}, {"Fri", "18"}, {"Sat", "19"}} {
		c := clinical.FP10Collection{Day: d.day, Date: d.date + "/12/2026", Amount: "60 ml", Days: 1}
		if d.day == "Sat" {
			c.Amount, c.Days = "120 ml", 2
		}
		f.Instalments.Collections = append(f.Instalments.Collections, c)
	}
	return f
}

// insideMDA reports a text placed within an FP10MDA-SS box.
func insideMDA(t pdf.Placed, f Field) bool {
	x, y := t.X/pdf.PointsPerMM, MDASheetHeight-t.Y/pdf.PointsPerMM
	const e = 0.01
	return x >= f.X-e && x <= f.X+f.W+e && y >= f.Y-e && y <= f.Y+f.H+e
}

// findMDA is the text s, or else the first text containing it.
func findMDA(c pdf.Content, s string) (pdf.Placed, bool) {
	for _, t := range c.Texts {
		if t.Text == s {
			return t, true
		}
	}
	for _, t := range c.Texts {
		if strings.Contains(t.Text, s) {
			return t, true
		}
	}
	return pdf.Placed{}, false
}

// TestMDAEachFieldInItsBox: the instalment prescription prints on the
// FP10MDA-SS's A4 sheet, one form, each field inside its box in Arial
// bold (Helvetica-Bold): the patient, the drug with its form and
// strength, the total in words and figures, the dose, the number of
// instalments, each one's amount, the interval, the first and last
// dates, supervised consumption, a cell for each collection with its
// date, the barcode in its column, the date and the prescriber; nothing
// on the pharmacy's grid, and the unused lines struck through.
func TestMDAEachFieldInItsBox(t *testing.T) {
	data, err := Render(mdaSample())
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
		{"56", MDAAgeBox}, {"12/03/1970", MDABirthBox}, {"Miss Amelia SMITH", MDAPatientBox}, {"12 Acacia Avenue", MDAPatientBox},
		{"LS6 3AA", MDAPatientBox}, {"943 476 5919", MDAPatientBox}, {"14", MDADaysBox},
		{"Methadone 1mg/ml oral solution sugar free", MDAItemBox}, {"Total quantity: 840 (eight hundred and forty) ml", MDAItemBox},
		{"Dose: Take 60ml once a day", MDAItemBox},
		{"Number of instalments: 14", MDAInstalmentBox}, {"Each instalment: 60 (sixty) ml", MDAInstalmentBox},
		{"Interval: Daily, collected on", MDAInstalmentBox}, {"the day before the closure", MDAInstalmentBox},
		{"First instalment: Monday 07/12/2026", MDAInstalmentBox}, {"Last instalment: Sunday 20/12/2026", MDAInstalmentBox},
		{"SUPERVISED CONSUMPTION", MDAInstalmentBox},
		{"Dates of dispensing: 12 collections", MDAScheduleBox}, {"07/12/2026", MDAScheduleBox}, {"19/12/2026", MDAScheduleBox},
		{"(2 days)", MDAScheduleBox}, {"120 ml", MDAScheduleBox},
		{"A7F3C2-Y00000-9B1E4K", MDABarcodeColumn}, {"01/12/2026", MDADateBox},
		{"Dr Asha Patel", MDAPrescriberBox}, {"Riverside Surgery", MDAPrescriberBox}, {"Tel 0113 496 0000", MDAPrescriberBox},
		{"7654321", MDACodesBox}, {"Y12345", MDACodesBox}, {"LS1 4AP", MDACodesBox},
	} {
		got, ok := findMDA(c, tc.text)
		if !ok {
			t.Errorf("%q is not printed", tc.text)
			continue
		}
		if !insideMDA(got, tc.field) {
			t.Errorf("%q at (%.1f, %.1f) mm is outside %s", tc.text, got.X/pdf.PointsPerMM, MDASheetHeight-got.Y/pdf.PointsPerMM, tc.field.Name)
		}
		if got.Font != "F2" {
			t.Errorf("%q is not in Helvetica-Bold (Arial bold): %s", tc.text, got.Font)
		}
		// A text's right end inside its box too: nothing runs over.
		if x := got.X/pdf.PointsPerMM + pdf.Width(pdf.HelveticaBold, got.Size, got.Text); !got.Up && x > tc.field.X+tc.field.W+0.01 {
			t.Errorf("%q runs to %.1f mm, past %s", tc.text, x, tc.field.Name)
		}
	}
	cells := 0
	for _, tx := range c.Texts {
		if insideMDA(tx, MDADispensingGrid) {
			t.Errorf("%q is printed on the pharmacy's grid", tx.Text)
		}
		if strings.HasSuffix(tx.Text, "/12/2026") && insideMDA(tx, MDAScheduleBox) {
			cells++
		}
	}
	if cells != 12 {
		t.Errorf("%d dated cells, want a cell for each of the 12 collections", cells)
	}
	if id, _ := findMDA(c, "A7F3C2-Y00000-9B1E4K"); !id.Up {
		t.Error("the prescription id is not printed vertically")
	}
	xs := map[string]int{}
	for _, tx := range c.Texts {
		for _, f := range []Field{MDAItemBox, MDAInstalmentBox} {
			if tx.Text == "X" && insideMDA(tx, f) {
				xs[f.Name]++
			}
		}
	}
	if xs[MDAItemBox.Name] < 5 || xs[MDAInstalmentBox.Name] < 5 {
		t.Errorf("unused lines struck through: %v", xs)
	}
	bars := 0
	for _, b := range c.Boxes {
		if !b.Filled {
			continue
		}
		bars++
		x, y := b.X/pdf.PointsPerMM, MDASheetHeight-(b.Y+b.H)/pdf.PointsPerMM
		if x < MDABarcode.X-0.01 || x+b.W/pdf.PointsPerMM > MDABarcode.X+MDABarcode.W+0.01 || y < MDABarcode.Y-0.01 || y > MDABarcode.Y+MDABarcode.H {
			t.Errorf("a bar at (%.1f, %.1f) is outside the barcode's box", x, y)
		}
	}
	if bars != 3*(20+2)+4 {
		t.Errorf("%d bars", bars)
	}
	if MDABarcode.W < 8 || MDABarcode.W > 12 || MDABarcode.H < 55 || MDABarcode.H > 68 || MDABarcode.Y-MDABarcodeColumn.Y < 8 ||
		MDABarcodeColumn.Y+MDABarcodeColumn.H-(MDABarcode.Y+MDABarcode.H) < 8 || MDAFormWidth-(MDABarcode.X+MDABarcode.W) < 6 {
		t.Errorf("the barcode's box %+v is outside the specification's tolerances", MDABarcode)
	}
	writeShot(t, "fp10mda-ss", data)
}

// TestMDAUnsupervisedAndOneCollection: unsupervised says so, and the
// grid's unused cells are crossed out.
func TestMDAUnsupervised(t *testing.T) {
	f := mdaSample()
	f.Instalments.Supervised = false
	data, err := RenderMDA(f)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pdf.Read(data)
	if _, ok := findMDA(c, "SUPERVISED"); ok {
		t.Error("an unsupervised prescription says supervised")
	}
	if got, ok := findMDA(c, "Not supervised: the instalments are taken home"); !ok || !insideMDA(got, MDAInstalmentBox) {
		t.Error("an unsupervised prescription does not say so")
	}
}

// TestMDARefusesWhatDoesNotFit: a text too long for its box is refused
// with the reason, never cut or spilt on to a second form; a long but
// fitting dose wraps inside the item box.
func TestMDARefusesWhatDoesNotFit(t *testing.T) {
	long := strings.Repeat("Take 60ml once a day under supervision, do not miss. ", 3)
	f := mdaSample()
	f.Items[0].Dose = long
	data, err := RenderMDA(f)
	if err != nil {
		t.Fatalf("a dose of three lines: %v", err)
	}
	c, _ := pdf.Read(data)
	lines := 0
	for _, tx := range c.Texts {
		if insideMDA(tx, MDAItemBox) && tx.Text != "X" {
			lines++
			if x := tx.X/pdf.PointsPerMM + pdf.Width(pdf.HelveticaBold, tx.Size, tx.Text); x > MDAItemBox.X+MDAItemBox.W {
				t.Errorf("%q runs past the item box", tx.Text)
			}
		}
	}
	if lines < 5 {
		t.Errorf("the long dose is not wrapped: %d lines", lines)
	}

	for name, change := range map[string]func(*clinical.FP10){
		"dose":        func(f *clinical.FP10) { f.Items[0].Dose = strings.Repeat(long, 4) },
		"two drugs":   func(f *clinical.FP10) { f.Items = append(f.Items, f.Items[0]) },
		"no schedule": func(f *clinical.FP10) { f.Instalments = nil },
		"interval":    func(f *clinical.FP10) { f.Instalments.Interval = strings.Repeat(long, 5) },
		"collections": func(f *clinical.FP10) {
			f.Instalments.Collections = append(f.Instalments.Collections, f.Instalments.Collections...)
		},
		"cell": func(f *clinical.FP10) { f.Instalments.Collections[0].Amount = "1000000 tablets" },
		"patient name": func(f *clinical.FP10) {
			f.Patient.Name = "Miss Amelia Rose Catherine Elizabeth Victoria SMITH-WORTHINGTON"
		},
		"address": func(f *clinical.FP10) {
			f.Patient.Address[0] = "Flat 12, The Old Mill Buildings, 123 Long Riverside Road"
		},
		"practice": func(f *clinical.FP10) {
			f.Practice.Name = "The Riverside and Holbeck Community Medical Practice Partnership"
		},
	} {
		f := mdaSample()
		change(&f)
		var unfit *Unfit
		if _, err := RenderMDA(f); !errors.As(err, &unfit) || unfit.Reason == "" {
			t.Errorf("%s: %v, want a refusal saying why", name, err)
		}
	}
}

func TestMDAAlignmentNamesEveryBox(t *testing.T) {
	data := AlignmentMDA()
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
	if outlined != len(MDAFields)+1 {
		t.Errorf("%d boxes outlined, want %d", outlined, len(MDAFields)+1)
	}
	if _, ok := findMDA(c, "Pharmacy's record of instalments"); !ok {
		t.Error("the pharmacy's grid is not named")
	}
	// The boxes of the form do not overlap one another.
	for i, a := range MDAFields {
		for _, b := range MDAFields[i+1:] {
			if a.X+a.W > b.X+0.01 && b.X+b.W > a.X+0.01 && a.Y+a.H > b.Y+0.01 && b.Y+b.H > a.Y+0.01 {
				t.Errorf("%s overlaps %s", a.Name, b.Name)
			}
		}
		if a.X+a.W > MDASheetWidth-3 || a.Y+a.H > MDASheetHeight-3 {
			t.Errorf("%s is off the sheet", a.Name)
		}
	}
	writeShot(t, "fp10mda-ss-alignment", data)
}
