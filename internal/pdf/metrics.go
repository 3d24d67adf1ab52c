package pdf

// boldWidths are Helvetica-Bold's advance widths (thousandths of the
// font size) of the printable ASCII characters, space to tilde, from
// Adobe's font metrics. Plain Helvetica is a little narrower: measuring
// it as bold errs on the safe side (a line wraps a little early rather
// than running out of its box).
var boldWidths = [95]int{
	278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
	333, 333, 584, 584, 584, 611, 975, // : to @
	722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A to Z
	333, 278, 333, 584, 556, 333, // [ to `
	556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // a to z
	389, 280, 389, 584, // { to ~
}

// Width is the width of s in millimetres at size points.
func Width(f Font, size float64, s string) float64 {
	units := 0
	for _, r := range s {
		switch {
		case f == Courier:
			units += 600
		case r >= ' ' && r <= '~':
			units += boldWidths[r-' ']
		default:
			units += 722 // a wide letter: accented capitals are 667 to 722
		}
	}
	return float64(units) / 1000 * size / PointsPerMM
}

// Wrap breaks s into lines no wider than wMM, at spaces; a word wider
// than the line is cut.
func Wrap(f Font, size, wMM float64, s string) []string {
	var lines []string
	line := ""
	for _, word := range splitWords(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if Width(f, size, try) <= wMM {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for Width(f, size, word) > wMM {
			cut := len([]rune(word)) - 1
			for cut > 1 && Width(f, size, string([]rune(word)[:cut])) > wMM {
				cut--
			}
			lines = append(lines, string([]rune(word)[:cut]))
			word = string([]rune(word)[cut:])
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func splitWords(s string) []string {
	var out []string
	word := []rune{}
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\t' {
			if len(word) > 0 {
				out = append(out, string(word))
				word = word[:0]
			}
			continue
		}
		word = append(word, r)
	}
	if len(word) > 0 {
		out = append(out, string(word))
	}
	return out
}
