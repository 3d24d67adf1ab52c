package workspace_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// TestLetterUploadLimits: a file over 5 MB is refused with the form's
// error and nothing written; a body over the pages' 8 MB limit is not
// read at all (413); the wrong patient's form is refused.
func TestLetterUploadLimits(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	post := func(size int, formPatient string) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"csrf": se.csrf, "patient": formPatient, "kind": "clinic-letter", "from": "Clinic",
			"date-day": "1", "date-month": "11", "date-year": "2026"} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "big.pdf")
		_, _ = fw.Write(append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), size)...))
		mw.Close()
		req, _ := http.NewRequest("POST", se.s.URL+"/workspace/patients/"+patient+"/letters/new", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(6<<20, patient); code != http.StatusUnprocessableEntity || !strings.Contains(body, "The file must be smaller than 5 MB") {
		t.Errorf("6 MB: %d", code)
	}
	if code, body := post(9<<20, patient); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "nothing was saved") {
		t.Errorf("9 MB: %d", code)
	}
	if code, _ := post(1000, se.practice.Patients[1]); code != http.StatusConflict {
		t.Errorf("another patient's form: %d", code)
	}
	if code, _ := post(1000, patient); code != http.StatusSeeOther {
		t.Errorf("a good letter: %d", code)
	}
}
