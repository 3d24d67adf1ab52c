package pdf

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestTextAtItsPlace(t *testing.T) {
	d := New("Test")
	p := d.AddPage(148, 210)
	p.Text(HelveticaBold, 8, 10, 20, "Amoxicillin (250mg) \\ caps")
	p.TextUp(Helvetica, 7.5, 100, 150, "A1B2C3-Y00000-12345+")
	p.Text(Courier, 9, 0, 0, "Zoë – café")
	p.Rect(5, 5, 20, 10, 0.2)
	p.Fill(1, 2, 3, 4)
	c, err := Read(d.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if c.Pages != 1 || len(c.Texts) != 3 || len(c.Boxes) != 2 {
		t.Fatalf("read %+v", c)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
	got := c.Texts[0]
	if got.Text != "Amoxicillin (250mg) \\ caps" || got.Font != "F2" || got.Size != 8 || !near(got.X, 10*PointsPerMM) || !near(got.Y, 190*PointsPerMM) || got.Up {
		t.Errorf("text 0: %+v", got)
	}
	if up := c.Texts[1]; !up.Up || !near(up.X, 100*PointsPerMM) || !near(up.Y, 60*PointsPerMM) {
		t.Errorf("text 1 should read upwards at its place: %+v", up)
	}
	if s := c.Texts[2].Text; s != "Zoë - café" {
		t.Errorf("Latin-1 text read back as %q", s)
	}
	if b := c.Boxes[0]; b.Filled || !near(b.X, 5*PointsPerMM) || !near(b.Y, 195*PointsPerMM) || !near(b.H, 10*PointsPerMM) {
		t.Errorf("outline: %+v", b)
	}
	if !c.Boxes[1].Filled {
		t.Error("the filled rectangle is not filled")
	}
}

func TestWidthAndWrap(t *testing.T) {
	// 1000 units of 10pt is 10pt: "mm" in Helvetica-Bold is 2 × 889.
	if w := Width(HelveticaBold, 10, "mm"); math.Abs(w-17.78/PointsPerMM) > 0.001 {
		t.Errorf("width of mm = %v", w)
	}
	if w := Width(Courier, 10, "abc"); math.Abs(w-18/PointsPerMM) > 0.001 {
		t.Errorf("Courier width = %v", w)
	}
	lines := Wrap(HelveticaBold, 8, 30, "Take one tablet three times a day with or after food for seven days")
	if len(lines) < 2 {
		t.Fatalf("not wrapped: %q", lines)
	}
	for _, l := range lines {
		if Width(HelveticaBold, 8, l) > 30 {
			t.Errorf("line %q is wider than 30 mm", l)
		}
	}
	if strings.Join(lines, " ") != "Take one tablet three times a day with or after food for seven days" {
		t.Errorf("words lost: %q", lines)
	}
	if cut := Wrap(HelveticaBold, 8, 10, "Supercalifragilistic"); len(cut) < 2 {
		t.Errorf("a long word is not cut: %q", cut)
	}
}

func TestCode128Table(t *testing.T) {
	seen := map[string]bool{}
	for i, s := range code128 {
		sum := 0
		for _, c := range s {
			sum += int(c - '0')
		}
		want := 11
		if i == code128Stop {
			want = 13
		}
		if sum != want || seen[s] {
			t.Errorf("symbol %d %q: %d modules (want %d), repeated %v", i, s, sum, want, seen[s])
		}
		seen[s] = true
	}
	if _, err := Code128("tab\there"); err == nil {
		t.Error("a control character was encoded")
	}
	// Start B (104) + 'A' (33 × 1) = 137; 137 mod 103 = 34: the check symbol.
	w, _ := Code128("A")
	if got := w[12:18]; joinInts(got) != code128[34] {
		t.Errorf("check symbol %v, want %s", got, code128[34])
	}
}

func joinInts(v []int) string {
	var b strings.Builder
	for _, n := range v {
		b.WriteByte(byte('0' + n))
	}
	return b.String()
}

// TestBarcodeScans renders a barcode with poppler and reads it with zbar,
// where they are installed: the table and the check symbol as a scanner
// sees them.
func TestBarcodeScans(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	const id = "A7F3C2-Y00000-9B1E4K"
	d := New("Barcode")
	p := d.AddPage(40, 80)
	if module, err := p.Barcode128Up(10, 8, 10, 64, id); err != nil || module < 0.2 {
		t.Fatalf("module %v, %v", module, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b.pdf"), d.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "300", "-png", "-singlefile", filepath.Join(dir, "b.pdf"), filepath.Join(dir, "b")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", filepath.Join(dir, "b.png")).Output()
	if err != nil || strings.TrimSpace(string(out)) != id {
		t.Fatalf("zbarimg read %q (%v), want %s", out, err, id)
	}
}

func FuzzRead(f *testing.F) {
	d := New("Seed")
	p := d.AddPage(50, 50)
	p.Text(Helvetica, 8, 1, 2, "seed (text)")
	p.Rect(1, 1, 2, 2, 0.1)
	f.Add(d.Bytes())
	f.Add([]byte("stream\nBT /F1 8 Tf 1 0 0 1 2 3 Tm [(a) -20 (b)] TJ ET\nendstream"))
	f.Add([]byte("stream\n(\\377\\(unbalanced\nendstream"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(data)
		if err == nil && c.Pages < 0 {
			t.Fatal("negative pages")
		}
	})
}
