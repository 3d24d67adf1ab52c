package clinical

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Demographics are a patient's details as PDS holds them and the
// national registration form (GMS1) asks for them: name, date of birth,
// sex, address, contact details, NHS number, and the GMS1's other
// questions. The fields are the form's, as typed; Check reads and
// normalises them.
type Demographics struct {
	Title, Given, Family string
	// BirthDay, BirthMonth and BirthYear are the NHS.UK date input's
	// three fields.
	BirthDay, BirthMonth, BirthYear string
	// Sex is the administrative gender: female, male, other
	// (indeterminate) or unknown (not known).
	Sex string
	// NoFixedAbode registers the patient at the practice's address.
	NoFixedAbode                       bool
	Address1, Address2, Town, Postcode string
	Phone, Mobile, Email               string
	// SMSConsent and EmailConsent: the patient agrees to be contacted so.
	SMSConsent, EmailConsent bool
	NHSNumber                string
	// The GMS1's other questions.
	PlaceOfBirth string
	Ethnicity    string // NHS Data Dictionary ethnic category, A to Z
	Language     string // main spoken language, as said
	Interpreter  bool
	ArmedForces  string // serving, veteran, family, no, "" (not asked)
	// AccessibleFormat is how written information must reach the patient
	// (the Accessible Information Standard, DCB1605): "" for standard.
	AccessibleFormat string

	// Set by Check: the date of birth, and the NHS number as ten digits.
	BirthDate time.Time
	NHS       string
}

// Sexes are the administrative genders, as the NHS words them.
var Sexes = []Choice{{"female", "Female"}, {"male", "Male"}, {"other", "Indeterminate (cannot be classified as male or female)"}, {"unknown", "Not known"}}

// EthnicCategories are the NHS Data Dictionary's ethnic categories
// (UK Core's EthnicCategoryEngland codes).
var EthnicCategories = []Choice{
	{"A", "White: British"}, {"B", "White: Irish"}, {"C", "White: any other White background"},
	{"D", "Mixed: White and Black Caribbean"}, {"E", "Mixed: White and Black African"}, {"F", "Mixed: White and Asian"},
	{"G", "Mixed: any other mixed background"}, {"H", "Asian or Asian British: Indian"}, {"J", "Asian or Asian British: Pakistani"},
	{"K", "Asian or Asian British: Bangladeshi"}, {"L", "Asian or Asian British: any other Asian background"},
	{"M", "Black or Black British: Caribbean"}, {"N", "Black or Black British: African"}, {"P", "Black or Black British: any other Black background"},
	{"R", "Other ethnic groups: Chinese"}, {"S", "Other ethnic groups: any other ethnic group"}, {"Z", "Not stated"},
}

// ArmedForces are the GMS1's answers about the armed forces.
var ArmedForces = []Choice{{"serving", "Serving member of the armed forces"}, {"veteran", "Veteran (has served)"},
	{"family", "Family member of someone serving"}, {"no", "No"}}

// AccessibleFormats are the information formats of the Accessible
// Information Standard a practice sends letters in.
var AccessibleFormats = []Choice{{"large-print", "Large print"}, {"braille", "Braille"}, {"easy-read", "Easy read"},
	{"audio", "Audio"}, {"email", "Email (an accessible electronic document)"}}

// Check reads the details: errors are keyed by the form's input ids
// (given, family, birth-day, sex, address1, town, postcode, phone,
// mobile, email, nhs, ethnicity, armed-forces) and say what to do, in the
// NHS.UK design system's words. now is today (a birth date may not be
// after it). Check normalises what it accepts: the postcode in capitals
// with one space, the NHS number as 3-3-4, phones without punctuation.
func (d *Demographics) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	d.Title, d.Given, d.Family = clean(d.Title), clean(d.Given), clean(d.Family)
	if msg := checkName(d.Given, "first name"); msg != "" {
		errs["given"] = msg
	}
	if msg := checkName(d.Family, "last name"); msg != "" {
		errs["family"] = msg
	}
	if d.Title != "" && checkName(d.Title, "title") != "" {
		errs["title"] = "Title must only include letters, like Mrs or Dr"
	}
	var msg string
	d.BirthDate, msg = ParseDateInput(d.BirthDay, d.BirthMonth, d.BirthYear, "date of birth", now)
	if msg == "" && d.BirthDate.After(now) {
		msg = "Date of birth must be today or in the past"
	}
	if msg != "" {
		errs["birth-day"] = msg
	}
	if ChoiceLabel(Sexes, d.Sex) == "" {
		errs["sex"] = "Select the patient's sex"
	}
	if !d.NoFixedAbode {
		d.Address1, d.Address2, d.Town = clean(d.Address1), clean(d.Address2), clean(d.Town)
		if d.Address1 == "" {
			errs["address1"] = "Enter the first line of the address, or say the patient has no fixed abode"
		} else if len(d.Address1) > 100 || len(d.Address2) > 100 {
			errs["address1"] = "Each address line must be 100 characters or fewer"
		}
		if d.Town == "" {
			errs["town"] = "Enter the town or city"
		}
		if pc, ok := NormalizePostcode(d.Postcode); ok {
			d.Postcode = pc
		} else if strings.TrimSpace(d.Postcode) == "" {
			errs["postcode"] = "Enter the postcode"
		} else {
			errs["postcode"] = "Enter a real postcode, like LS1 4AP"
		}
	}
	for _, f := range []struct {
		key string
		v   *string
	}{{"phone", &d.Phone}, {"mobile", &d.Mobile}} {
		if strings.TrimSpace(*f.v) == "" {
			*f.v = ""
			continue
		}
		if p, ok := NormalizePhone(*f.v); ok {
			*f.v = p
		} else {
			errs[f.key] = "Enter a UK phone number, like 0113 496 0000 or 07700 900 982"
		}
	}
	d.Email = strings.TrimSpace(d.Email)
	if d.Email != "" && !ValidEmail(d.Email) {
		errs["email"] = "Enter an email address in the correct format, like name@example.com"
	}
	if d.SMSConsent && d.Mobile == "" && errs["mobile"] == "" {
		errs["mobile"] = "Enter a mobile number to send text messages to, or untick consent to text messages"
	}
	if d.EmailConsent && d.Email == "" {
		errs["email"] = "Enter an email address, or untick consent to emails"
	}
	d.NHS = ""
	if s := strings.TrimSpace(d.NHSNumber); s != "" {
		switch n, ok := NormalizeNHSNumber(s); {
		case !ok:
			errs["nhs"] = "NHS number must be 10 digits, like 943 476 5919"
		case !ValidNHSNumber(n):
			errs["nhs"] = "This is not a valid NHS number: check each digit (the last digit does not match the others)"
		default:
			d.NHS, d.NHSNumber = n, FormatNHSNumber(n)
		}
	}
	if d.Ethnicity != "" && ChoiceLabel(EthnicCategories, d.Ethnicity) == "" {
		errs["ethnicity"] = "Select an ethnic category from the list"
	}
	if d.ArmedForces != "" && ChoiceLabel(ArmedForces, d.ArmedForces) == "" {
		errs["armed-forces"] = "Select an answer about the armed forces"
	}
	if d.AccessibleFormat != "" && ChoiceLabel(AccessibleFormats, d.AccessibleFormat) == "" {
		errs["accessible-format"] = "Select a format from the list"
	}
	d.PlaceOfBirth, d.Language = clean(d.PlaceOfBirth), clean(d.Language)
	return errs
}

// clean trims and collapses runs of white space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkName accepts what PDS accepts in a name: letters (any alphabet),
// spaces, hyphens, apostrophes and full stops, up to 35 characters.
func checkName(s, what string) string {
	if s == "" {
		return "Enter the patient's " + what
	}
	if len([]rune(s)) > 35 {
		return strings.ToUpper(what[:1]) + what[1:] + " must be 35 characters or fewer"
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && !strings.ContainsRune(" -'’.", r) {
			return strings.ToUpper(what[:1]) + what[1:] + " must only include letters, spaces, hyphens and apostrophes"
		}
	}
	return ""
}

// ParseDateInput reads the NHS.UK date input's day, month and year
// fields. what names the date in messages ("date of birth"); a date
// before 1890 or after now is refused as not real for a person (the
// caller decides about the future: ParseDateInput allows up to now plus
// a day, so that a date typed near midnight is not refused). The error
// messages are the design system's.
func ParseDateInput(day, month, year, what string, now time.Time) (time.Time, string) {
	d, m, y := strings.TrimSpace(day), strings.TrimSpace(month), strings.TrimSpace(year)
	What := strings.ToUpper(what[:1]) + what[1:]
	switch {
	case d == "" && m == "" && y == "":
		return time.Time{}, "Enter the " + what
	case d == "":
		return time.Time{}, What + " must include a day"
	case m == "":
		return time.Time{}, What + " must include a month"
	case y == "":
		return time.Time{}, What + " must include a year"
	}
	di, err1 := strconv.Atoi(d)
	mi, err2 := strconv.Atoi(monthNumber(m))
	yi, err3 := strconv.Atoi(y)
	if err1 != nil || err2 != nil || err3 != nil || len(y) != 4 {
		return time.Time{}, What + " must be a real date, like 15 3 1984"
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, London)
	if mi < 1 || mi > 12 || t.Day() != di || int(t.Month()) != mi {
		return time.Time{}, What + " must be a real date, like 15 3 1984"
	}
	if yi < 1890 {
		return time.Time{}, What + " must be after 1890"
	}
	return t, ""
}

// monthNumber reads a month typed as a number or a name ("3", "Mar",
// "march").
func monthNumber(m string) string {
	if len(m) >= 3 {
		if mon, ok := months[strings.ToLower(m[:3])]; ok {
			return strconv.Itoa(int(mon))
		}
	}
	return m
}

// NormalizePostcode reads a UK postcode in any case and spacing ("ls14ap",
// "LS1  4AP") and writes it as Royal Mail does ("LS1 4AP"); ok is false
// when it is not the shape of a postcode.
func NormalizePostcode(s string) (string, bool) {
	up := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if up == "GIR0AA" {
		return "GIR 0AA", true
	}
	if len(up) < 5 || len(up) > 7 {
		return "", false
	}
	m := postcodeRe.FindStringSubmatch(up)
	if m == nil {
		return "", false
	}
	return m[1] + " " + m[2], true
}

// NormalizePhone reads a UK phone number as people type it ("0113 496
// 0000", "(0113) 4960000", "+44 7700 900982") and returns its digits in
// the national form ("01134960000"); ok is false for anything else.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	n := b.String()
	if rest, ok := strings.CutPrefix(n, "+44"); ok {
		n = "0" + strings.TrimPrefix(rest, "0")
	} else if rest, ok := strings.CutPrefix(n, "0044"); ok {
		n = "0" + strings.TrimPrefix(rest, "0")
	}
	if !strings.HasPrefix(n, "0") || len(n) < 10 || len(n) > 11 || strings.HasPrefix(n, "00") {
		return "", false
	}
	return n, true
}

// FormatPhone spaces a national number as it is read: mobiles and
// non-geographic numbers 5-6, others 4-3-4 or 3-4-4 (London and the
// 02x areas).
func FormatPhone(n string) string {
	switch {
	case len(n) != 11:
		return n
	case strings.HasPrefix(n, "02"):
		return n[:3] + " " + n[3:7] + " " + n[7:]
	case strings.HasPrefix(n, "07"), strings.HasPrefix(n, "08"), strings.HasPrefix(n, "03"):
		return n[:5] + " " + n[5:]
	}
	return n[:4] + " " + n[4:7] + " " + n[7:]
}

// ValidEmail accepts a bare address with a dotted domain (no display
// name): what a practice can send to.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, ok := strings.Cut(s, "@")
	return ok && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") && len(s) <= 254
}

// DateInput is a date as the NHS.UK date input's three fields.
func DateInput(t time.Time) (day, month, year string) {
	if t.IsZero() {
		return "", "", ""
	}
	return strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())
}

// ShortDate writes a date as the banner does ("12-Mar-1970").
func ShortDate(t time.Time) string { return t.Format("02-Jan-2006") }
