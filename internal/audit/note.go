package audit

import (
	"context"
	"sync"
)

// Note gathers what one request touched, for its AuditEvent: the HTTP
// layer puts one in the request's context and the service adds the
// resources it reads and writes.
type Note struct {
	mu        sync.Mutex
	resources []Seen
	patients  []string
	// staged are the resources whose AuditEvents the write transactions
	// of the request committed already (type/id), and stagedAny tells
	// whether there were any.
	staged    map[[2]string]bool
	stagedAny bool
}

type noteKey struct{}

// WithNote returns ctx carrying a new Note.
func WithNote(ctx context.Context) (context.Context, *Note) {
	n := &Note{}
	return context.WithValue(ctx, noteKey{}, n), n
}

// Saw records a resource touched by the request in ctx's Note, if any.
// The body is kept by reference (stored bodies are never modified).
func Saw(ctx context.Context, typ, id string, body []byte) {
	n, _ := ctx.Value(noteKey{}).(*Note)
	if n == nil {
		return
	}
	n.mu.Lock()
	n.resources = append(n.resources, Seen{Type: typ, ID: id, Body: body})
	n.mu.Unlock()
}

// SawOwned records a resource touched by the request whose patients the
// caller worked out (a Binary belongs to whoever its securityContext
// names, which the body alone does not tell).
func SawOwned(ctx context.Context, typ, id string, owners []string) {
	n, _ := ctx.Value(noteKey{}).(*Note)
	if n == nil {
		return
	}
	n.mu.Lock()
	n.resources = append(n.resources, Seen{Type: typ, ID: id, Owners: owners, OwnersKnown: true})
	n.mu.Unlock()
}

// SawPatient records that a patient's records were reached (a
// compartment search, $everything) even if nothing matched.
func SawPatient(ctx context.Context, id string) {
	n, _ := ctx.Value(noteKey{}).(*Note)
	if n == nil {
		return
	}
	n.mu.Lock()
	n.patients = append(n.patients, id)
	n.mu.Unlock()
}

// Staged notes, in ctx's Note, resources whose AuditEvents a committed
// transaction staged: the request's own event after the response need
// not list them again.
func Staged(ctx context.Context, written []Seen) {
	n, _ := ctx.Value(noteKey{}).(*Note)
	if n == nil || len(written) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.staged == nil {
		n.staged = map[[2]string]bool{}
	}
	for _, s := range written {
		n.staged[[2]string{s.Type, s.ID}] = true
	}
	n.stagedAny = true
}

// Contents returns what was noted and not staged already, and whether
// anything was staged.
func (n *Note) Contents() (resources []Seen, patients []string, staged bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.stagedAny {
		return n.resources, n.patients, false
	}
	for _, s := range n.resources {
		if !n.staged[[2]string{s.Type, s.ID}] {
			resources = append(resources, s)
		}
	}
	return resources, n.patients, true
}
