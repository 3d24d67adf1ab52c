package tokens

import (
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// verified is a token whose signature and claims were checked.
type verified struct {
	p   *auth.Principal
	exp time.Time
}

// maxCachedTokens bounds the cache; when full it is emptied (tokens are
// short-lived, and re-verifying costs ~0.1 ms each).
const maxCachedTokens = 20000

type verifiedCache struct {
	mu sync.RWMutex
	m  map[string]verified
}

func (c *verifiedCache) get(token string, now time.Time) (verified, bool) {
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	// The leeway allowed at verification is not extended here: an
	// expired entry is verified again (and then refused).
	if !ok || !now.Before(e.exp) {
		return verified{}, false
	}
	return e, true
}

func (c *verifiedCache) put(token string, e verified, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]verified, 256)
	}
	if now.Before(e.exp) {
		c.m[token] = e
	}
}
