package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Migrating while the old system runs (NHS England's stated direction for
// switching GP supplier): pull a Bulk Data $export from the source, import
// it, then keep pulling incremental exports (_since the last one,
// deletions included where the source reports them) until told to stop,
// so that the new system stays current while the practice still works in
// the old one. Cut-over is one last pull. Each round's position is kept
// in the target store, so a migration stopped (or killed) goes on from
// where it was; a round interrupted half-way is simply run again (imports
// are idempotent).

// sinceOverlap is how far before the last export's transactionTime the
// next one starts: a write that began before an export but committed
// after the export read its type carries a lastUpdated before that
// transactionTime, and would otherwise fall between two rounds. Running
// what overlaps again changes nothing.
const sinceOverlap = 5 * time.Minute

// migrationKind names the records holding each source's position.
const migrationKind = "migration"

// MigrateOptions describe a migration.
type MigrateOptions struct {
	// From is the source's FHIR base URL; Token its bearer token.
	From, Token string
	// Types limits the export (_type); empty is every type.
	Types []string
	// Interval is the pause between rounds; Once stops after one.
	Interval time.Duration
	Once     bool
	// Client is the HTTP client (default: 10-minute timeout per request).
	Client *http.Client
	// Progress reports each round as it ends, and waiting.
	Progress func(MigrateRound)
	// Workdir holds downloaded files while a round is imported.
	Workdir string
}

// MigrateRound is one pull: what it brought and how far behind the
// source the target is.
type MigrateRound struct {
	Round           int
	Since           string // "" for the first, full export
	TransactionTime string
	Resources       int
	ByType          map[string]int
	Deleted         int
	Problems        []Problem
	// Lag is how old the source state the target now holds is.
	Lag     time.Duration
	Elapsed time.Duration
}

// migrationState is what the target keeps of a source.
type migrationState struct {
	From            string `json:"from"`
	TransactionTime string `json:"transactionTime"`
	Rounds          int    `json:"rounds"`
	Resources       int    `json:"resources"`
}

// Migrate runs rounds until ctx ends (or one, with Once). It returns the
// first error that stops it: a refused token, an unreachable source, an
// export the source failed.
func Migrate(ctx context.Context, st store.Store, sink Sink, opts MigrateOptions) error {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	opts.From = strings.TrimRight(opts.From, "/")
	key := "source:" + opts.From
	for {
		state, err := loadState(ctx, st, key)
		if err != nil {
			return err
		}
		round, err := migrateRound(ctx, st, sink, opts, state)
		if err != nil {
			if ctx.Err() != nil {
				return nil // told to stop: the next run goes on from the last round
			}
			return err
		}
		state.From = opts.From
		if len(round.Problems) == 0 {
			// A round with failures does not advance: the next one brings
			// what failed again (and what succeeded changes nothing).
			state.TransactionTime = round.TransactionTime
		}
		state.Rounds++
		state.Resources += round.Resources
		round.Round = state.Rounds
		if err := saveState(ctx, st, key, state); err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(round)
		}
		if opts.Once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.Interval):
		}
	}
}

func loadState(ctx context.Context, st store.Store, key string) (migrationState, error) {
	var s migrationState
	rec, err := st.GetRecord(ctx, migrationKind, key)
	if errors.Is(err, store.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(rec.Body, &s)
}

func saveState(ctx context.Context, st store.Store, key string, s migrationState) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: migrationKind, ID: key, Body: body})
	})
}

// migrateRound exports from the source (since the last round, less the
// overlap), downloads the files and imports them.
func migrateRound(ctx context.Context, st store.Store, sink Sink, opts MigrateOptions, state migrationState) (MigrateRound, error) {
	start := time.Now()
	var round MigrateRound
	q := url.Values{"_outputFormat": {"application/fhir+ndjson"}}
	if state.TransactionTime != "" {
		t, err := time.Parse(time.RFC3339Nano, state.TransactionTime)
		if err != nil {
			return round, fmt.Errorf("the last round's transactionTime %q: %w", state.TransactionTime, err)
		}
		round.Since = t.Add(-sinceOverlap).UTC().Format(time.RFC3339Nano)
		q.Set("_since", round.Since)
	}
	if len(opts.Types) > 0 {
		q.Set("_type", strings.Join(opts.Types, ","))
	}
	c := bulkClient{base: opts.From, token: opts.Token, http: opts.Client}
	status, err := c.kickoff(ctx, q)
	if err != nil {
		return round, err
	}
	defer c.remove(status)
	m, err := c.wait(ctx, status)
	if err != nil {
		return round, err
	}
	dir, err := os.MkdirTemp(opts.Workdir, "gpcloud-migrate-")
	if err != nil {
		return round, err
	}
	defer os.RemoveAll(dir)
	for i, f := range append(m.Output, m.Deleted...) {
		suffix := ".ndjson"
		if i >= len(m.Output) {
			suffix = deletedSuffix // deletions, applied as such
		}
		name := fmt.Sprintf("%s.%d%s", f.Type, i, suffix)
		if err := c.download(ctx, f.URL, filepath.Join(dir, name), m.RequiresAccessToken); err != nil {
			return round, err
		}
	}
	res, err := Import(ctx, sink, []string{dir}, ImportOptions{})
	if err != nil {
		return round, err
	}
	round.TransactionTime = m.TransactionTime
	round.Resources, round.ByType, round.Deleted, round.Problems = res.Resources, res.ByType, res.Deleted, res.Problems
	if t, err := time.Parse(time.RFC3339Nano, m.TransactionTime); err == nil {
		round.Lag = time.Since(t)
	}
	round.Elapsed = time.Since(start)
	return round, nil
}

// bulkClient is a Bulk Data client of one source.
type bulkClient struct {
	base, token string
	http        *http.Client
}

// sourceManifest is the part of a Bulk Data manifest the client reads.
type sourceManifest struct {
	TransactionTime     string `json:"transactionTime"`
	RequiresAccessToken bool   `json:"requiresAccessToken"`
	Output              []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"output"`
	Deleted []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"deleted"`
	Error []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"error"`
}

func (c bulkClient) request(ctx context.Context, method, u string, auth bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.http.Do(req)
}

// kickoff starts a system-level export and returns its status URL.
func (c bulkClient) kickoff(ctx context.Context, q url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/$export?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "respond-async")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot reach the source %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return "", refusal(c.base+"/$export", resp)
	}
	status := resp.Header.Get("Content-Location")
	if status == "" {
		return "", fmt.Errorf("%s/$export answered 202 without a Content-Location", c.base)
	}
	return status, nil
}

// wait polls the status URL until the export is complete.
func (c bulkClient) wait(ctx context.Context, status string) (sourceManifest, error) {
	var m sourceManifest
	for {
		resp, err := c.request(ctx, http.MethodGet, status, true)
		if err != nil {
			return m, err
		}
		switch resp.StatusCode {
		case http.StatusAccepted:
			resp.Body.Close()
			delay := 2 * time.Second
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
				delay = time.Duration(min(n, 60)) * time.Second
			}
			select {
			case <-ctx.Done():
				return m, ctx.Err()
			case <-time.After(delay):
			}
		case http.StatusOK:
			err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&m)
			resp.Body.Close()
			if err != nil {
				return m, fmt.Errorf("the export's manifest: %w", err)
			}
			if len(m.Error) > 0 {
				return m, fmt.Errorf("the source reported %d error files for the export", len(m.Error))
			}
			return m, nil
		default:
			defer resp.Body.Close()
			return m, refusal(status, resp)
		}
	}
}

// download saves one file of the export.
func (c bulkClient) download(ctx context.Context, u, path string, auth bool) error {
	resp, err := c.request(ctx, http.MethodGet, u, auth)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return refusal(u, resp)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("downloading %s: %w", u, err)
	}
	return f.Close()
}

// remove lets the source delete a finished export's files.
func (c bulkClient) remove(status string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if resp, err := c.request(ctx, http.MethodDelete, status, true); err == nil {
		resp.Body.Close()
	}
}

// refusal describes an unexpected answer, with the OperationOutcome's
// diagnostics when there is one.
func refusal(u string, resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var oo struct {
		Issue []struct {
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	detail := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &oo) == nil && len(oo.Issue) > 0 {
		detail = oo.Issue[0].Diagnostics
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("the source refused the token (HTTP %d at %s): %.300s", resp.StatusCode, u, detail)
	}
	return fmt.Errorf("HTTP %d at %s: %.300s", resp.StatusCode, u, detail)
}
