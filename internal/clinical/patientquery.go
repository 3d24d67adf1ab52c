package clinical

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PatientQuery is what a search box query asks for: the staff type one
// thing, a name, a date of birth, an NHS number or a postcode, or several
// together ("smith 12/03/1970").
type PatientQuery struct {
	NHSNumber string // ten digits
	BirthDate string // YYYY-MM-DD
	Postcode  string // normalised: "LS1 4AP"
	Names     []string
}

// Empty reports a query with nothing to search for.
func (q PatientQuery) Empty() bool {
	return q.NHSNumber == "" && q.BirthDate == "" && q.Postcode == "" && len(q.Names) == 0
}

// Search is the query as FHIR Patient search parameters: each name word
// must start a part of a name (family, given, prefix...).
func (q PatientQuery) Search() url.Values {
	v := url.Values{}
	if q.NHSNumber != "" {
		v.Set("identifier", NHSNumberSystem+"|"+q.NHSNumber)
	}
	if q.BirthDate != "" {
		v.Set("birthdate", q.BirthDate)
	}
	if q.Postcode != "" {
		v.Set("address-postalcode", q.Postcode)
	}
	for _, n := range q.Names {
		v.Add("name", n)
	}
	return v
}

var (
	postcodeRe = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$`)
	outwardRe  = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]?$`)
	inwardRe   = regexp.MustCompile(`^[0-9][A-Z]{2}$`)
)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// ParsePatientQuery reads a search box query. now is today, for two-digit
// years (a year that would be in the future is last century's).
func ParsePatientQuery(s string, now time.Time) PatientQuery {
	var q PatientQuery
	s = strings.TrimSpace(s)
	if n, ok := NormalizeNHSNumber(s); ok {
		q.NHSNumber = n
		return q
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	for i := 0; i < len(words); i++ {
		w := words[i]
		up := strings.ToUpper(w)
		switch {
		case q.BirthDate == "" && parseDate(w, now) != "":
			q.BirthDate = parseDate(w, now)
		case q.BirthDate == "" && i+2 < len(words) && parseDate(w+"-"+words[i+1]+"-"+words[i+2], now) != "":
			q.BirthDate = parseDate(w+"-"+words[i+1]+"-"+words[i+2], now) // 12 Mar 1970
			i += 2
		case q.Postcode == "" && postcodeRe.MatchString(up):
			m := postcodeRe.FindStringSubmatch(up)
			q.Postcode = m[1] + " " + m[2]
		case q.Postcode == "" && i+1 < len(words) && outwardRe.MatchString(up) && inwardRe.MatchString(strings.ToUpper(words[i+1])):
			q.Postcode = up + " " + strings.ToUpper(words[i+1])
			i++
		default:
			q.Names = append(q.Names, w)
		}
	}
	return q
}

// parseDate reads 12/03/1970, 12-03-1970, 12.03.1970, 12/3/70,
// 12-Mar-1970, 12-March-1970 and 1970-03-12; "" when w is none of them
// or not a real date.
func parseDate(w string, now time.Time) string {
	w = strings.NewReplacer("/", "-", ".", "-").Replace(w)
	parts := strings.Split(w, "-")
	if len(parts) != 3 {
		return ""
	}
	var d, m, y int
	var err error
	if len(parts[0]) == 4 { // ISO
		if y, err = strconv.Atoi(parts[0]); err != nil {
			return ""
		}
		if m, err = strconv.Atoi(parts[1]); err != nil {
			return ""
		}
		if d, err = strconv.Atoi(parts[2]); err != nil {
			return ""
		}
	} else {
		if d, err = strconv.Atoi(parts[0]); err != nil {
			return ""
		}
		if m, err = strconv.Atoi(parts[1]); err != nil {
			name := strings.ToLower(parts[1])
			if len(name) < 3 {
				return ""
			}
			mon, ok := months[name[:3]]
			if !ok {
				return ""
			}
			m = int(mon)
		}
		if y, err = strconv.Atoi(parts[2]); err != nil {
			return ""
		}
		if len(parts[2]) == 2 {
			y += now.Year() / 100 * 100
			if y > now.Year() {
				y -= 100
			}
		} else if len(parts[2]) != 4 {
			return ""
		}
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m || t.Year() != y || y < 1850 || t.After(now) {
		return ""
	}
	return t.Format("2006-01-02")
}

// ParseDate reads a date as staff type it (15/03/2025, 15-Mar-2025,
// 2025-03-15, 15/3/25) and returns it as YYYY-MM-DD; ok is false when it
// is none of them, not a real date or in the future.
func ParseDate(s string, now time.Time) (date string, ok bool) {
	d := parseDate(strings.TrimSpace(s), now)
	return d, d != ""
}
