package sqlstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// A continuation stands in for a stored result list until a second page is
// asked for (issue 12). The first page of a search led by an index in the
// default order (type, rid) is answered from one statement that also counts
// the matches, and its next link names the page's last match instead of a
// list: nothing is written for a search whose user reads one page, which is
// most of them, and a population query's first page costs one matching
// instead of two plus the write of thousands of rows (on SQLite that write
// also queues behind the single writer and empties every reader's page
// cache). The second page stores the list, numbered so that the first
// match after the token's resource follows on from the first page; from
// there pages are read from the list as before.
//
// Paging stays free of repeats and gaps: (type, rid) never changes (the
// token names its resource by id, mapped to the rid in the statement), so a
// resource on the first page sorts at or before the token's and one not
// yet shown sorts after it, whatever was written between the two
// requests. What the first page showed was current then; the later pages
// are the matches when the second page was asked for (a resource created
// meanwhile, after the token's in order, is shown; one deleted is not).
// A search with _sort keeps storing its list on the first page: a sort
// value may change between the requests and move a resource across the
// page boundary.
//
// A streamed search (streamed.go) reads every page by key instead: the
// page after the token's resource, or, for a token that points back (a
// previous link), the page before it.
//
// A stored list holds at most MaxStoredResults matches. The last page of
// a list that stopped there hands over to a token past the cut (Past),
// naming its last match: the list stored for that token holds only the
// matches after it, numbered on from the page offset, so that a client
// paging a search in the default order meets every match, however many.
// Paging back across the cut is refused as gone (410): the list past the
// cut does not hold what came before it.
type continuation struct {
	Type, ID string
	Back     bool // the page before the resource, not after it
	Past     bool // given at the end of a list cut at MaxStoredResults
}

const (
	continuationPrefix = "c2."
	backPrefix         = "b2."
	pastPrefix         = "a2."
)

// earlierOrder are the prefixes of the tokens servers gave before pages
// were in rid order (the nineteenth migration): the resource they name
// stands elsewhere in the order now, so a page after it would skip or
// repeat matches. They are refused as expired, as a stored list from
// before a restart may be.
var earlierOrder = []string{"c1.", "b1.", "a1."}

// token is the continuation as a search id: the resource, and a digest of
// the access condition it was found under, so that another caller's link
// is as good as gone for this one (as a stored list is).
func (c continuation) token(accessKey string) string {
	enc := base64.RawURLEncoding
	prefix := continuationPrefix
	switch {
	case c.Back:
		prefix = backPrefix
	case c.Past:
		prefix = pastPrefix
	}
	return prefix + enc.EncodeToString([]byte(c.Type)) + "." + enc.EncodeToString([]byte(c.ID)) + "." + accessDigest(accessKey)
}

func accessDigest(accessKey string) string {
	sum := sha256.Sum256([]byte(accessKey))
	return hex.EncodeToString(sum[:8])
}

// parseContinuation reads a search id: ok is false for a stored list's id;
// a continuation that is malformed or found under another access
// condition is store.ErrSearchExpired.
func parseContinuation(id, accessKey string) (c continuation, ok bool, err error) {
	var c0 continuation
	for _, p := range earlierOrder {
		if strings.HasPrefix(id, p) {
			return continuation{}, true, store.ErrSearchExpired
		}
	}
	rest, found := strings.CutPrefix(id, continuationPrefix)
	if !found {
		if rest, c0.Back = strings.CutPrefix(id, backPrefix); !c0.Back {
			if rest, c0.Past = strings.CutPrefix(id, pastPrefix); !c0.Past {
				return continuation{}, false, nil
			}
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[2] != accessDigest(accessKey) {
		return continuation{}, true, store.ErrSearchExpired
	}
	typ, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	rid, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || len(typ) == 0 || len(rid) == 0 {
		return continuation{}, true, store.ErrSearchExpired
	}
	c0.Type, c0.ID = string(typ), string(rid)
	return c0, true, nil
}

// ridAfter writes the rid of the resource a continuation names, mapped in
// the statement: pages are in rid order while the token names the
// resource by id. A token from before the first match (no id) is before
// every rid.
func (sb *sqlBuilder) ridAfter(c continuation) {
	if c.ID == "" {
		sb.w(`0`)
		return
	}
	sb.ridOf(c.Type, c.ID)
}
