package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Job states.
const (
	JobAccepted   = "accepted"
	JobInProgress = "in-progress"
	JobCompleted  = "completed"
	JobFailed     = "failed"
)

// Job is one asynchronous Bulk Data export. It is kept as job.json in its
// own directory beside its files, so jobs survive a restart: unfinished
// ones start again, finished ones are served until they expire.
type Job struct {
	ID      string   `json:"id"`
	State   string   `json:"state"`
	Request string   `json:"request"` // the kick-off URL
	Level   string   `json:"level"`   // system or patient
	Types   []string `json:"types,omitempty"`
	// TypeFilters are the _typeFilter searches (Type?params).
	TypeFilters []string `json:"typeFilters,omitempty"`
	// Group is the Group exported (level group): its members' compartments.
	Group   string    `json:"group,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Created time.Time `json:"created"`
	// Done counts resources written so far (progress).
	Done     int       `json:"done"`
	Error    string    `json:"error,omitempty"`
	Finished time.Time `json:"finished,omitzero"`
	Manifest *Manifest `json:"manifest,omitempty"`
	// Owner is who asked for the export (client and user); only they
	// may poll it, fetch its files or cancel it. Empty without
	// authentication.
	Owner string `json:"owner,omitempty"`
}

// ErrNoJob: the job does not exist (or expired).
var ErrNoJob = errors.New("bulk: no such export job")

// Jobs runs export jobs in the background, one at a time, from a
// directory that outlives the process.
type Jobs struct {
	maxFileBytes int64 // splits each type's output (0: Export's default)
	dir          string
	st           store.Store
	expiry       time.Duration
	mu           sync.Mutex
	jobs         map[string]*Job
	cancel       map[string]context.CancelFunc
	queue        chan string
	stop         context.CancelFunc
	wg           sync.WaitGroup
}

// DefaultExpiry is how long a finished export's files are kept.
const DefaultExpiry = 24 * time.Hour

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// OpenJobs loads the jobs under dir and starts the worker; unfinished jobs
// are queued again. Output files are split at maxFileBytes (0: 1 GiB).
func OpenJobs(dir string, st store.Store, expiry time.Duration, maxFileBytes int64) (*Jobs, error) {
	if expiry <= 0 {
		expiry = DefaultExpiry
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("export jobs: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	j := &Jobs{dir: dir, st: st, expiry: expiry, maxFileBytes: maxFileBytes, jobs: map[string]*Job{}, cancel: map[string]context.CancelFunc{},
		queue: make(chan string, 1000), stop: stop}
	entries, err := os.ReadDir(dir)
	if err != nil {
		stop()
		return nil, err
	}
	var resume []*Job
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name(), "job.json"))
		if err != nil || !jobIDPattern.MatchString(e.Name()) {
			continue
		}
		var job Job
		if json.Unmarshal(data, &job) != nil {
			continue
		}
		j.jobs[job.ID] = &job
		if job.State == JobAccepted || job.State == JobInProgress {
			resume = append(resume, &job)
		}
	}
	sort.Slice(resume, func(a, b int) bool { return resume[a].Created.Before(resume[b].Created) })
	for _, job := range resume {
		j.queue <- job.ID
	}
	j.wg.Add(1)
	go j.work(ctx)
	return j, nil
}

// Close stops the worker; a running job is left to resume next start.
func (j *Jobs) Close() {
	j.stop()
	j.wg.Wait()
}

// Start queues a new export: level system, patient or group (group
// names the Group), with _type, _since and _typeFilter.
func (j *Jobs) Start(request, level string, types []string, since time.Time, typeFilters []string, group, owner string) (*Job, error) {
	for _, t := range types {
		if !definitions.IsResourceType(t) {
			return nil, fmt.Errorf("_type: %q is not a resource type", t)
		}
	}
	if _, err := compileTypeFilters(typeFilters); err != nil {
		return nil, err
	}
	if level == "patient" || level == "group" {
		types = patientTypes(types)
		if len(types) == 0 {
			return nil, fmt.Errorf("_type: none of the types is in the Patient compartment")
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	job := &Job{ID: hex.EncodeToString(b), State: JobAccepted, Request: request, Level: level, Types: types, Since: since,
		TypeFilters: typeFilters, Group: group, Created: time.Now().UTC(), Owner: owner}
	if err := os.MkdirAll(filepath.Join(j.dir, job.ID), 0o750); err != nil {
		return nil, err
	}
	if err := j.save(job); err != nil {
		return nil, err
	}
	j.mu.Lock()
	j.jobs[job.ID] = job
	j.mu.Unlock()
	select {
	case j.queue <- job.ID:
	default:
		return nil, fmt.Errorf("too many export jobs queued")
	}
	return job, nil
}

// patientTypes keeps (or lists) the types of the Patient compartment.
func patientTypes(types []string) []string {
	var out []string
	if len(types) == 0 {
		for _, t := range definitions.ResourceTypes() {
			if t == "Patient" || len(definitions.PatientCompartment(t)) > 0 {
				out = append(out, t)
			}
		}
		return out
	}
	for _, t := range types {
		if t == "Patient" || len(definitions.PatientCompartment(t)) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// Get returns a copy of a job, or ErrNoJob (also once it expired).
func (j *Jobs) Get(id string) (Job, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[id]
	if !ok || j.expired(job) {
		return Job{}, ErrNoJob
	}
	return *job, nil
}

func (j *Jobs) expired(job *Job) bool {
	return !job.Finished.IsZero() && time.Since(job.Finished) > j.expiry
}

// Delete cancels a job and removes its files.
func (j *Jobs) Delete(id string) error {
	j.mu.Lock()
	_, ok := j.jobs[id]
	if ok {
		delete(j.jobs, id)
		if c := j.cancel[id]; c != nil {
			c()
		}
	}
	j.mu.Unlock()
	if !ok {
		return ErrNoJob
	}
	return os.RemoveAll(filepath.Join(j.dir, id))
}

// File returns the path of one output file of a finished job.
func (j *Jobs) File(id, name string) (string, error) {
	job, err := j.Get(id)
	if err != nil || job.Manifest == nil {
		return "", ErrNoJob
	}
	for _, f := range append(job.Manifest.Output, job.Manifest.Deleted...) {
		if f.URL == name {
			return filepath.Join(j.dir, id, name), nil
		}
	}
	return "", ErrNoJob
}

func (j *Jobs) save(job *Job) error {
	data, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(j.dir, job.ID, "job.json.tmp")
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(j.dir, job.ID, "job.json"))
}

func (j *Jobs) work(ctx context.Context) {
	defer j.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			j.removeExpired()
		case id := <-j.queue:
			j.run(ctx, id)
		}
	}
}

func (j *Jobs) run(ctx context.Context, id string) {
	j.mu.Lock()
	job, ok := j.jobs[id]
	if !ok {
		j.mu.Unlock()
		return
	}
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	j.cancel[id] = cancel
	job.State, job.Done = JobInProgress, 0
	_ = j.save(job)
	snapshot := *job
	j.mu.Unlock()

	base, lastType, lastN := 0, "", 0
	filters, err := j.filters(jobCtx, &snapshot)
	var m *Manifest
	if err == nil {
		m, err = Export(jobCtx, j.st, ExportOptions{
			Dir: filepath.Join(j.dir, id), Types: snapshot.Types, Since: snapshot.Since, Request: snapshot.Request, Filters: filters,
			MaxFileBytes: j.maxFileBytes,
			Progress: func(typ string, n int) {
				if typ != lastType {
					base, lastType = base+lastN, typ
				}
				lastN = n
				j.mu.Lock()
				job.Done = base + n
				j.mu.Unlock()
			},
		})
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.cancel, id)
	if _, still := j.jobs[id]; !still {
		return // deleted while running
	}
	if ctx.Err() != nil {
		return // shutting down: it resumes at the next start
	}
	job.Finished = time.Now().UTC()
	if err != nil {
		job.State, job.Error = JobFailed, err.Error()
	} else {
		job.State, job.Manifest = JobCompleted, m
		job.Done = m.Summary.Resources
	}
	_ = j.save(job)
}

func (j *Jobs) removeExpired() {
	j.mu.Lock()
	var gone []string
	for id, job := range j.jobs {
		if j.expired(job) {
			gone = append(gone, id)
			delete(j.jobs, id)
		}
	}
	j.mu.Unlock()
	for _, id := range gone {
		_ = os.RemoveAll(filepath.Join(j.dir, id))
	}
}

// compileTypeFilters parses _typeFilter values (Type?search) by type.
func compileTypeFilters(filters []string) (map[string][]*search.Query, error) {
	out := map[string][]*search.Query{}
	for _, f := range filters {
		typ, query, _ := strings.Cut(f, "?")
		if !definitions.IsResourceType(typ) {
			return nil, fmt.Errorf("_typeFilter %q: %q is not a resource type", f, typ)
		}
		params, err := url.ParseQuery(query)
		if err != nil {
			return nil, fmt.Errorf("_typeFilter %q: %v", f, err)
		}
		q, ignored, err := search.Parse([]string{typ}, params, search.ParseOptions{DefaultCount: 1000, MaxCount: 1000})
		if err != nil {
			return nil, fmt.Errorf("_typeFilter %q: %v", f, err)
		}
		if len(ignored) > 0 {
			return nil, fmt.Errorf("_typeFilter %q: %s: %s", f, ignored[0].Name, ignored[0].Reason)
		}
		out[typ] = append(out[typ], q)
	}
	return out, nil
}

// filters builds a job's per-type searches: its _typeFilter, and for a
// Group export its members' compartments (a type filtered both ways keeps
// what matches both: the compartment searches carry the type filter's
// parameters).
func (j *Jobs) filters(ctx context.Context, job *Job) (map[string][]*search.Query, error) {
	typeFilters, err := compileTypeFilters(job.TypeFilters)
	if err != nil {
		return nil, err
	}
	if job.Level != "group" {
		return typeFilters, nil
	}
	members, err := groupMembers(ctx, j.st, job.Group)
	if err != nil {
		return nil, err
	}
	out := map[string][]*search.Query{}
	for _, typ := range job.Types {
		base := typeFilters[typ]
		if len(base) == 0 {
			base = []*search.Query{{Types: []string{typ}}}
		}
		for _, member := range members {
			for _, b := range base {
				q := *b
				if typ == "Patient" {
					q.Filters = append(append([]*search.Filter(nil), b.Filters...), &search.Filter{Param: search.Lookup("Patient", "_id"), Values: []search.Value{{Code: member}}})
				} else {
					q.Compartment = &search.Compartment{Type: "Patient", ID: member, Params: definitions.PatientCompartment(typ)}
				}
				out[typ] = append(out[typ], &q)
			}
		}
		if len(members) == 0 {
			out[typ] = []*search.Query{{Types: []string{typ}, Filters: []*search.Filter{{Param: search.Lookup(typ, "_id"), Values: []search.Value{{Code: "-none-"}}}}}}
		}
	}
	return out, nil
}

// groupMembers reads a Group's Patient members.
func groupMembers(ctx context.Context, st store.Store, id string) ([]string, error) {
	v, err := st.Read(ctx, "Group", id)
	if err != nil || v.Deleted {
		return nil, fmt.Errorf("no Group/%s", id)
	}
	g, err := fhir.Unmarshal(v.Body)
	if err != nil {
		return nil, err
	}
	var ids []string
	members, _ := g["member"].([]any)
	for _, m := range members {
		mm, _ := m.(map[string]any)
		entity, _ := mm["entity"].(map[string]any)
		ref, _ := entity["reference"].(string)
		if rest, ok := strings.CutPrefix(ref, "Patient/"); ok && rest != "" {
			ids = append(ids, rest)
		}
	}
	return ids, nil
}
