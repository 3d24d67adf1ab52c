package pdf

import "fmt"

// code128 are the bar and space widths (in modules) of Code 128's 107
// symbols: values 0 to 102, then Start A, Start B, Start C and Stop.
// Each symbol is 11 modules wide, the stop 13.
var code128 = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

const code128StartB, code128Stop = 104, 106

// Code128 encodes s (printable ASCII) in code set B with its check
// symbol: the widths of alternate bars and spaces in modules, starting
// with a bar. The quiet zones (10 modules each side) are the caller's.
func Code128(s string) ([]int, error) {
	symbols := []int{code128StartB}
	sum := code128StartB
	for i, r := range s {
		if r < ' ' || r > '~' {
			return nil, fmt.Errorf("pdf: %q cannot be encoded in Code 128 set B", r)
		}
		v := int(r - ' ')
		symbols = append(symbols, v)
		sum += v * (i + 1)
	}
	symbols = append(symbols, sum%103, code128Stop)
	var widths []int
	for _, sym := range symbols {
		for _, c := range code128[sym] {
			widths = append(widths, int(c-'0'))
		}
	}
	return widths, nil
}

// Barcode128Up draws s as a Code 128 barcode reading upwards (the bars
// horizontal), in the box at (xMM, yMM), wMM wide and hMM tall: the
// symbol with its quiet zones fills the height. It returns the module
// size in millimetres (a scanner wants at least about 0.25 mm).
func (p *Page) Barcode128Up(xMM, yMM, wMM, hMM float64, s string) (float64, error) {
	widths, err := Code128(s)
	if err != nil {
		return 0, err
	}
	total := 20 // the quiet zones
	for _, w := range widths {
		total += w
	}
	module := hMM / float64(total)
	// Reading upwards: the first bar is at the bottom.
	at := yMM + hMM - 10*module
	for i, w := range widths {
		h := float64(w) * module
		if i%2 == 0 {
			p.Fill(xMM, at-h, wMM, h)
		}
		at -= h
	}
	return module, nil
}
