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
// Organizations of managingOrganization and generalPractitioner), and
// whether their record is sealed (search.Sensitive).
type registrationCache struct {
	mu sync.Mutex
	m  map[string]registration
}

type registration struct {
	practices []string
	sensitive bool
	at        time.Time
}

func (c *registrationCache) get(patientID string, now time.Time) (registration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[patientID]
	if !ok || now.Sub(e.at) > registrationTTL {
		return registration{}, false
	}
	return e, true
}

func (c *registrationCache) put(patientID string, e registration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxRegistrations {
		c.m = map[string]registration{}
	}
	c.m[patientID] = e
}

// forget drops a patient whose record this server is writing.
func (c *registrationCache) forget(patientID string) {
	c.mu.Lock()
	delete(c.m, patientID)
	c.mu.Unlock()
}
