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

// Contents returns what was noted.
func (n *Note) Contents() ([]Seen, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.resources, n.patients
}
