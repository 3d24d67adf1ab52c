package clinical

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Measurements are the vital signs a consultation records. A zero value
// means not measured.
type Measurements struct {
	Systolic, Diastolic int     // mmHg
	Pulse               int     // beats per minute
	WeightKg            float64 // kg
	HeightCm            float64 // cm
}

// Empty reports whether nothing was measured.
func (m Measurements) Empty() bool {
	return m.Systolic == 0 && m.Diastolic == 0 && m.Pulse == 0 && m.WeightKg == 0 && m.HeightCm == 0
}

// BMI returns the body mass index (kg/m², to one decimal place) of this
// weight and height, and whether both were measured. It is computed, never
// typed, so that it always agrees with the weight and height it came from.
func (m Measurements) BMI() (float64, bool) {
	if m.WeightKg <= 0 || m.HeightCm <= 0 {
		return 0, false
	}
	return BMI(m.WeightKg, m.HeightCm), true
}

// BMI is weight (kg) over the square of height (m), rounded half away
// from zero to one decimal place, as the record shows it.
func BMI(weightKg, heightCm float64) float64 {
	h := heightCm / 100
	return math.Round(weightKg/(h*h)*10) / 10
}

// The ranges a measurement must fall in: outside them the number is a
// slip (a weight typed in pounds, a blood pressure's digits doubled), and
// the form says so rather than store it.
const (
	minSystolic, maxSystolic   = 40, 300
	minDiastolic, maxDiastolic = 20, 200
	minPulse, maxPulse         = 20, 300
	minWeight, maxWeight       = 0.3, 400.0
	minHeight, maxHeight       = 20.0, 250.0
	minBMI, maxBMI             = 8.0, 100.0
)

// MeasurementInput is the measurements as typed, keyed by field.
type MeasurementInput struct {
	Systolic, Diastolic, Pulse, Weight, Height string
}

// ParseMeasurements reads typed measurements and checks each: errors are
// keyed by the form's field names (systolic, diastolic, pulse, weight,
// height), each a sentence that says what to do.
func ParseMeasurements(in MeasurementInput) (Measurements, map[string]string) {
	var m Measurements
	errs := map[string]string{}
	whole := func(field, label, s string, lo, hi int, unit string) int {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs[field] = fmt.Sprintf("%s must be a whole number, like %d", label, (lo+hi)/3)
			return 0
		}
		if n < lo || n > hi {
			errs[field] = fmt.Sprintf("%s must be between %d and %d %s", label, lo, hi, unit)
			return 0
		}
		return n
	}
	decimal := func(field, label, s string, lo, hi float64, unit, example string) float64 {
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), unit))
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			errs[field] = fmt.Sprintf("%s must be a number in %s, like %s", label, unit, example)
			return 0
		}
		if f < lo || f > hi {
			errs[field] = fmt.Sprintf("%s must be between %s and %s %s", label, trimFloat(lo), trimFloat(hi), unit)
			return 0
		}
		return math.Round(f*10) / 10
	}
	m.Systolic = whole("systolic", "Systolic blood pressure", in.Systolic, minSystolic, maxSystolic, "mmHg")
	m.Diastolic = whole("diastolic", "Diastolic blood pressure", in.Diastolic, minDiastolic, maxDiastolic, "mmHg")
	m.Pulse = whole("pulse", "Pulse", in.Pulse, minPulse, maxPulse, "beats per minute")
	m.WeightKg = decimal("weight", "Weight", in.Weight, minWeight, maxWeight, "kg", "72.5")
	m.HeightCm = decimal("height", "Height", in.Height, minHeight, maxHeight, "cm", "172")
	switch {
	case errs["systolic"] != "" || errs["diastolic"] != "":
	case m.Systolic != 0 && m.Diastolic == 0 && strings.TrimSpace(in.Diastolic) == "":
		errs["diastolic"] = "Enter the diastolic blood pressure too, or neither"
	case m.Diastolic != 0 && m.Systolic == 0 && strings.TrimSpace(in.Systolic) == "":
		errs["systolic"] = "Enter the systolic blood pressure too, or neither"
	case m.Systolic != 0 && m.Systolic <= m.Diastolic:
		errs["systolic"] = "Systolic blood pressure must be higher than diastolic: check they are not the wrong way round"
	}
	if bmi, ok := m.BMI(); ok && errs["weight"] == "" && errs["height"] == "" && (bmi < minBMI || bmi > maxBMI) {
		errs["weight"] = fmt.Sprintf("A weight of %s kg and height of %s cm give a BMI of %s: check the weight is in kg and the height in cm",
			trimFloat(m.WeightKg), trimFloat(m.HeightCm), trimFloat(bmi))
	}
	return m, errs
}

// trimFloat writes a number with at most one decimal place.
func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(f, 'f', 1, 64), "0"), ".")
}
