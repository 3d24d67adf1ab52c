package service

import (
	"sync"
	"time"
)

// registrationTTL bounds how stale a cached registration may be when
// another server changed it.
const registrationTTL = 5 * time.Second

const maxRegistrations = 50000

// registrationCache remembers where patients are registered (the
// Organizations of managingOrganization and generalPractitioner).
type registrationCache struct {
	mu sync.Mutex
	m  map[string]registration
}

type registration struct {
	practices []string
	at        time.Time
}

func (c *registrationCache) get(patientID string, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[patientID]
	if !ok || now.Sub(e.at) > registrationTTL {
		return nil, false
	}
	return e.practices, true
}

func (c *registrationCache) put(patientID string, practices []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxRegistrations {
		c.m = map[string]registration{}
	}
	c.m[patientID] = registration{practices: practices, at: now}
}

// forget drops a patient whose record this server is writing.
func (c *registrationCache) forget(patientID string) {
	c.mu.Lock()
	delete(c.m, patientID)
	c.mu.Unlock()
}
