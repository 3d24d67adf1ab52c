package bulk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func waitJob(t *testing.T, j *Jobs, id string) Job {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		job, err := j.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if job.State == JobCompleted || job.State == JobFailed {
			return job
		}
	}
	t.Fatal("job did not finish")
	return Job{}
}

// A job that cannot run ends failed, with the reason; unknown jobs and
// files are ErrNoJob; a finished job disappears once it expires.
func TestJobErrors(t *testing.T) {
	st := seed(t)
	j, err := OpenJobs(t.TempDir(), st, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	job, err := j.Start("test", "group", []string{"Observation"}, time.Time{}, nil, "missing", "")
	if err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, j, job.ID); done.State != JobFailed || !strings.Contains(done.Error, "Group/missing") {
		t.Errorf("job %+v", done)
	}
	if _, err := j.Start("test", "system", []string{"Nope"}, time.Time{}, nil, "", ""); err == nil {
		t.Error("unknown _type accepted")
	}
	if _, err := j.Start("test", "system", nil, time.Time{}, []string{"Observation?colour=blue"}, "", ""); err == nil {
		t.Error("a _typeFilter with an unknown parameter accepted")
	}
	if _, err := j.Get("0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNoJob) {
		t.Errorf("unknown job: %v", err)
	}
	if err := j.Delete("0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNoJob) {
		t.Errorf("delete of an unknown job: %v", err)
	}

	short, err := OpenJobs(t.TempDir(), st, time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	job, err = short.Start("test", "system", []string{"Patient"}, time.Time{}, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := short.Get(job.ID); errors.Is(err, ErrNoJob) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a finished job did not expire")
		}
	}
	if _, err := short.File(job.ID, "Patient.ndjson"); !errors.Is(err, ErrNoJob) {
		t.Errorf("file of an expired job: %v", err)
	}
}
