package clinical

import "testing"

func TestBMI(t *testing.T) {
	for _, tc := range []struct {
		kg, cm, want float64
	}{
		{70, 175, 22.9},   // 22.857
		{72.5, 172, 24.5}, // 24.506
		{100, 200, 25},
		{50, 150, 22.2},     // 22.222
		{95.3, 168.5, 33.6}, // 33.565
		{3.4, 50, 13.6},     // a newborn
		{160, 160, 62.5},
	} {
		if got := BMI(tc.kg, tc.cm); got != tc.want {
			t.Errorf("BMI(%v kg, %v cm) = %v, want %v", tc.kg, tc.cm, got, tc.want)
		}
	}
	if _, ok := (Measurements{WeightKg: 70}).BMI(); ok {
		t.Error("a BMI without a height")
	}
}

func TestParseMeasurements(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   MeasurementInput
		want Measurements
		errs map[string]string
	}{
		{"nothing", MeasurementInput{}, Measurements{}, nil},
		{"all", MeasurementInput{"142", "88", "72", "81.25", "178"}, Measurements{142, 88, 72, 81.3, 178}, nil},
		{"kg suffix and spaces", MeasurementInput{Weight: " 70 kg ", Height: "175cm"}, Measurements{WeightKg: 70, HeightCm: 175}, nil},
		{"systolic alone", MeasurementInput{Systolic: "120"}, Measurements{Systolic: 120},
			map[string]string{"diastolic": "Enter the diastolic blood pressure too, or neither"}},
		{"diastolic alone", MeasurementInput{Diastolic: "80"}, Measurements{Diastolic: 80},
			map[string]string{"systolic": "Enter the systolic blood pressure too, or neither"}},
		{"swapped", MeasurementInput{Systolic: "80", Diastolic: "120"}, Measurements{Systolic: 80, Diastolic: 120},
			map[string]string{"systolic": "Systolic blood pressure must be higher than diastolic: check they are not the wrong way round"}},
		{"digits doubled", MeasurementInput{Systolic: "1400", Diastolic: "90"}, Measurements{Diastolic: 90},
			map[string]string{"systolic": "Systolic blood pressure must be between 40 and 300 mmHg"}},
		{"diastolic too low", MeasurementInput{Systolic: "120", Diastolic: "8"}, Measurements{Systolic: 120},
			map[string]string{"diastolic": "Diastolic blood pressure must be between 20 and 200 mmHg"}},
		{"decimal blood pressure", MeasurementInput{Systolic: "120.5", Diastolic: "80"}, Measurements{Diastolic: 80},
			map[string]string{"systolic": "Systolic blood pressure must be a whole number, like 113"}},
		{"pulse", MeasurementInput{Pulse: "400"}, Measurements{},
			map[string]string{"pulse": "Pulse must be between 20 and 300 beats per minute"}},
		{"weight in grams", MeasurementInput{Weight: "70000"}, Measurements{},
			map[string]string{"weight": "Weight must be between 0.3 and 400 kg"}},
		{"weight not a number", MeasurementInput{Weight: "eleven stone"}, Measurements{},
			map[string]string{"weight": "Weight must be a number in kg, like 72.5"}},
		{"height in metres", MeasurementInput{Height: "1.75"}, Measurements{},
			map[string]string{"height": "Height must be between 20 and 250 cm"}},
		{"height in feet gives an impossible BMI", MeasurementInput{Weight: "70", Height: "25"}, Measurements{WeightKg: 70, HeightCm: 25},
			map[string]string{"weight": "A weight of 70 kg and height of 25 cm give a BMI of 1120: check the weight is in kg and the height in cm"}},
		{"NaN", MeasurementInput{Weight: "NaN"}, Measurements{},
			map[string]string{"weight": "Weight must be a number in kg, like 72.5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseMeasurements(tc.in)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v, want %v", errs, tc.errs)
			}
			for k, v := range tc.errs {
				if errs[k] != v {
					t.Errorf("error for %s: %q, want %q", k, errs[k], v)
				}
			}
		})
	}
}
