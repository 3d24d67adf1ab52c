package workspace_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsultationEmbedded: the consultation form on the video call page
// (embed=call) is answered with fragments for htmx to swap into its
// container, never a redirect or a whole page (either would replace the
// call page): the form without the layout, errors with the error summary
// (422), the wrong-patient refusal (409, nothing written), and the saved
// confirmation. The same save rules as the consultation page apply.
func TestConsultationEmbedded(t *testing.T) {
	se := signedIn(t)
	a, b := se.practice.Patients[0], se.practice.Patients[1]
	if body := getBody(t, se, "/workspace/patients/"+a+"/consultations/new?type=video&embed=call"); strings.Contains(body, "<html") ||
		!strings.Contains(body, `hx-post="/workspace/patients/`+a+`/consultations/new"`) || !strings.Contains(body, `name="embed" value="call"`) ||
		!strings.Contains(body, `value="video" checked`) {
		t.Fatalf("the embedded form: %.800s", body)
	}
	// A call's consultation is remote; one in the surgery has no place
	// chosen for the clinician.
	if body := getBody(t, se, "/workspace/patients/"+a+"/consultations/new?type=video&embed=call"); !strings.Contains(body, `value="remote" selected`) {
		t.Error("a video consultation's place is not remote")
	}
	if body := getBody(t, se, "/workspace/patients/"+a+"/consultations/new"); strings.Contains(body, `value="remote" selected`) {
		t.Error("a face-to-face consultation's place is remote")
	}
	if body := getBody(t, se, "/workspace/patients/"+a+"/consultations/new"); !strings.Contains(body, "<html") || strings.Contains(body, `name="embed"`) {
		t.Error("the consultation page without embed is not the whole page")
	}
	embed := func(f url.Values) url.Values { f.Set("embed", "call"); return f }
	noDiastolic := embed(consultForm(a))
	noDiastolic.Set("systolic", "150")
	before, beforeB := se.encounters(t, a), se.encounters(t, b)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		want       []string
		writes     int
	}{
		{"errors", "/workspace/patients/" + a + "/consultations/new", noDiastolic, http.StatusUnprocessableEntity,
			[]string{"nhsuk-error-summary", "There is a problem", `id="consultation-form"`}, 0},
		{"wrong patient", "/workspace/patients/" + b + "/consultations/new", embed(consultForm(a)), http.StatusConflict,
			[]string{"Not saved: wrong patient", "nhsuk-error-summary"}, 0},
		{"saved", "/workspace/patients/" + a + "/consultations/new", embed(consultForm(a)), http.StatusOK,
			[]string{`id="saved"`, "The consultation is saved", `href="/workspace/patients/` + a + `/consultations/`}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := se.postBody(t, tc.path, tc.form)
			if status != tc.status {
				t.Fatalf("answered %d, want %d: %.600s", status, tc.status, body)
			}
			if strings.Contains(body, "<html") {
				t.Error("answered a whole page, not a fragment")
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q in %.600s", w, body)
				}
			}
			if got := se.encounters(t, a) - before; got != tc.writes {
				t.Errorf("%d Encounters written, want %d", got, tc.writes)
			}
			if se.encounters(t, b) != beforeB {
				t.Error("wrote to the other patient")
			}
			before = se.encounters(t, a)
		})
	}
}

// postBody posts a form as the session's user and returns the answer.
func (se *session) postBody(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", se.csrf)
	req, _ := http.NewRequest("POST", se.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
