package store

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Errors returned by every adapter. Callers test with errors.Is.
var (
	// ErrNotFound: no version of the resource (or the requested version) exists.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a concurrent transaction wrote the same resource first
	// (the version being written already exists). The caller may retry.
	ErrConflict = errors.New("store: concurrent write conflict")
	// ErrUnavailable: the database could not be reached, or dropped the
	// connection, before anything was committed; the caller may retry.
	// Reads are retried by the store before it gives up with this.
	ErrUnavailable = errors.New("store: the database is unavailable")
	// ErrOutcomeUnknown: the connection failed while committing, so the
	// transaction may or may not have been committed. Retrying blindly
	// could repeat it.
	ErrOutcomeUnknown = errors.New("store: the connection to the database failed while committing; the outcome is unknown")
)

// NoStoreError is what an adapter's OpenExisting returns where there is no
// gpcloud store to open: commands other than serve refuse to create one on
// a mistyped path. Reason says what was found instead; the caller names
// the place (only it knows how to show a DSN without its password).
type NoStoreError struct{ Reason string }

func (e *NoStoreError) Error() string { return "no gpcloud store: " + e.Reason }

// Version is one stored version of a resource.
type Version struct {
	Type        string
	ID          string
	VersionID   int64 // 1, 2, 3... per resource
	LastUpdated time.Time
	// Deleted marks a deletion version; Body is nil then.
	Deleted bool
	// Method is the HTTP verb that produced this version (POST, PUT, PATCH,
	// DELETE); history bundles report it in entry.request.method.
	Method string
	// Body is the resource JSON exactly as stored, including meta.versionId
	// and meta.lastUpdated.
	Body []byte
	// Seq orders every version in the store (system history, paging
	// cursors). Assigned by the store on write; ignored on input.
	Seq int64
}

// Write is one new version to store, with its search index rows. The
// store replaces a resource's rows on every write, in the same
// transaction, and removes them on delete.
type Write struct {
	Version
	Index search.Values
	// Content, when set, is stored beside the version (see Content); a
	// deletion has none.
	Content *Content
}

// Criterion restricts Find to resources having a token row that matches.
// An empty System matches any system; System "" with SystemSet true
// matches only rows without a system (the FHIR "|code" form). An empty
// Code matches any code in System (the "system|" form).
type Criterion struct {
	Param     string
	System    string
	SystemSet bool
	Code      string
}

// FindQuery selects current, not deleted resources of one type. All
// criteria must hold (AND); IDs, when non-empty, restricts to those ids.
type FindQuery struct {
	Type     string
	IDs      []string
	Criteria []Criterion
	// Limit caps the ids returned (0: no limit). Conditional interactions
	// ask for 2 to tell "one" from "many".
	Limit int
}

// PageRequest selects a page of a search.
type PageRequest struct {
	SearchID string // "" for a new search
	Offset   int
	// FirstOnly: the caller reads the first page and no other (a screen
	// that lists the first few and says how many more), so no result
	// list is stored for paging; HasMore still tells whether more match.
	FirstOnly bool
	// ByKey: the caller reads every page to the end (an export's
	// _typeFilter). A search in the default order led by an index then
	// reads each page after the first by key from the last one's
	// resource, whatever its size, and stores no list, which would stop
	// at the store's cut (sqlstore.MaxStoredResults) without saying so.
	ByKey bool
}

// SearchPage is one page of search results.
type SearchPage struct {
	Matches []Version
	// Total is the number of matches, or -1 when not counted.
	Total int
	// SearchID names the stored result list ("" when everything fitted on
	// this page); HasMore tells whether a next page exists.
	SearchID string
	HasMore  bool
	// Keyed: the page was read by key, after or before the resource the
	// request's search id named (a streamed search's later pages), or is
	// the last page of a stored list that stopped at the store's cut and
	// hands over to the matches after it: SearchID names the page after
	// it and PreviousID the page before it ("" when there is none),
	// whatever the offsets say.
	Keyed      bool
	PreviousID string
	// CutAt, on the last page of a stored list that stopped at the
	// store's cut (sqlstore.MaxStoredResults) with more matches beyond
	// that cannot be paged to (a search with _sort), is the number of
	// matches the list holds; 0 otherwise.
	CutAt int
}

// ErrSearchExpired: the stored results of a SearchID are gone.
var ErrSearchExpired = errors.New("store: search results expired")

// HistoryQuery selects versions, newest first. Type and ID narrow it to a
// type or one resource; empty means the whole system.
type HistoryQuery struct {
	Type string
	ID   string
	// Since keeps versions with LastUpdated >= Since (zero: no bound).
	Since time.Time
	// At keeps, per resource, only the version current at At (zero: all).
	At time.Time
	// Before keeps versions with Seq < Before (zero: no bound); a paging cursor.
	Before int64
	// Count caps the versions returned; the store returns at most Count.
	Count int
}

// Reader reads committed data (or, within a Tx, the transaction's view).
type Reader interface {
	// Read returns the current version of a resource, which may be a
	// deletion (Deleted true). ErrNotFound if it never existed.
	Read(ctx context.Context, typ, id string) (Version, error)
	// VRead returns one version. ErrNotFound if it does not exist.
	VRead(ctx context.Context, typ, id string, versionID int64) (Version, error)
	// Find returns ids of current, not deleted resources matching q, in id order.
	Find(ctx context.Context, q FindQuery) ([]string, error)
	// GetRecord returns an unexpired record. ErrNotFound if there is none.
	// Within a Tx, adapters with row locks lock the record read.
	GetRecord(ctx context.Context, kind, id string) (Record, error)
	// ListRecords returns the unexpired records of a kind, in id order.
	ListRecords(ctx context.Context, kind string) ([]Record, error)
	// FirstRecords returns the first n unexpired records of a kind, in id
	// order: a queue read a batch at a time.
	FirstRecords(ctx context.Context, kind string, n int) ([]Record, error)
	// OpenContent reads the content stored beside one version, a chunk at
	// a time; the reader fails at its end if the bytes read are not those
	// written (their SHA-256 differs). ErrNotFound when the version has
	// none. Within a Tx, read it before the transaction ends.
	OpenContent(ctx context.Context, typ, id string, versionID int64) (io.ReadCloser, ContentInfo, error)
}

// Record is a small document kept beside the resources that is not a FHIR
// resource: a signing key, a client registration, a user account, a used
// token id, the head of the audit chain. Its owner (the auth or audit
// service) defines Body; the store only keeps it, in the same transactions
// as the resources.
type Record struct {
	Kind, ID string
	Body     []byte
	// Expires, when set, is when the record stops existing: reads skip it
	// and an insert may take its place.
	Expires time.Time
}

// Tx is a write transaction. Reads through a Tx see its own writes and, for
// adapters with row locks, lock the rows read so that the version number a
// caller computes stays valid until commit.
type Tx interface {
	Reader
	// ReplaceIndex rewrites the index rows of a current resource (reindexing
	// after a definitions change); the resource itself is unchanged.
	ReplaceIndex(ctx context.Context, typ, id string, v search.Values) error
	// Put stores a new version. w.VersionID must be one more than the
	// current version (1 for a new resource); otherwise, or if a concurrent
	// transaction got there first, the transaction fails with ErrConflict,
	// from Put or, for adapters that batch writes, from a later read or
	// from InTx at commit. The returned Version's Seq may be 0 (unknown
	// until the write is flushed).
	Put(ctx context.Context, w Write) (Version, error)
	// InsertRecord adds a record; ErrConflict if an unexpired one with
	// the same kind and id exists (a replayed token id, say).
	InsertRecord(ctx context.Context, r Record) error
	// PutRecord adds or replaces a record.
	PutRecord(ctx context.Context, r Record) error
	// DeleteRecord removes a record; removing none is not an error.
	DeleteRecord(ctx context.Context, kind, id string) error
	// Lock takes exclusive locks named by keys, held until the
	// transaction ends: transactions that decide on the same key (the
	// condition of a conditional create) then run one after the other,
	// also across processes sharing one database, and the later one sees
	// what the earlier committed. Adapters whose write transactions are
	// serialised anyway may do nothing. Callers pass every key of a
	// transaction in one call, first, so that no two transactions wait
	// for each other.
	Lock(ctx context.Context, keys ...string) error
}

// Store is a versioned resource store.
type Store interface {
	Reader
	// History returns versions newest first, at most q.Count of them.
	History(ctx context.Context, q HistoryQuery) ([]Version, error)
	// Search runs a search. A first request (empty page.SearchID) that
	// matches more than one page stores the ordered list of matches (their
	// versions) under a new SearchID, so later pages neither repeat nor miss
	// resources whatever is written meanwhile; page.Offset reads from it.
	Search(ctx context.Context, q *search.Query, page PageRequest) (SearchPage, error)
	// Included returns the resources that q's _include and _revinclude
	// reach from the given matches (not repeating them). keep, when not
	// nil, filters what each step found before :iterate goes on from it,
	// so that iteration never walks through what keep drops.
	Included(ctx context.Context, q *search.Query, matches []Version, keep func([]Version) ([]Version, error)) ([]Version, error)
	// Current returns current, not deleted resources of a type with id
	// greater than afterID, in id order, at most limit (for reindexing).
	Current(ctx context.Context, typ, afterID string, limit int) ([]Version, error)
	// HistoryCount returns how many versions q would select without Count
	// and Before (for Bundle.total).
	HistoryCount(ctx context.Context, q HistoryQuery) (int, error)
	// StageContent stores r's bytes, read to the end, as content no
	// version holds yet, and returns its name for a Write's
	// Content.Staged. Each chunk is committed on its own as it is read,
	// so that a slow upload holds no lock; if reading or writing fails,
	// what was staged is removed. Staged content no write took within
	// StagedContentTTL is removed. Never call it inside InTx: an adapter
	// with one write connection would wait for itself.
	StageContent(ctx context.Context, r io.Reader) (string, ContentInfo, error)
	// InTx runs fn in one atomic write transaction: everything fn wrote is
	// committed when it returns nil, nothing when it returns an error (which
	// InTx returns unchanged).
	InTx(ctx context.Context, fn func(Tx) error) error
	// Ping reports whether the store is reachable and migrated.
	Ping(ctx context.Context) error
	// Close releases connections.
	Close() error
}

// IndexDeferrer is a store whose search indexes a bulk load may build
// after it, each once and sorted, instead of row by row as it writes.
// Searches meanwhile are complete (the rows are written with their
// resources), only slower; a load killed before BuildIndexes leaves the
// build to the next opening of the store.
type IndexDeferrer interface {
	// DeferIndexes defers the build when the store holds at most
	// maxResources resources and no other load has deferred it; it
	// reports whether it did.
	DeferIndexes(ctx context.Context, maxResources int) (bool, error)
	// BuildIndexes builds what DeferIndexes deferred.
	BuildIndexes(ctx context.Context) error
	// DefersByDefault tells whether deferring pays on this store: on
	// SQLite it halves an import; PostgreSQL maintains its indexes in its
	// own process and gained nothing.
	DefersByDefault() bool
}

// DuplicateRowsDropper is a store that may hold search rows other rows
// now hold too: those of the reference parameters read through others'
// rows narrowed to one type (search.Param.StoredTarget), which stores
// written by earlier versions keep for the servers of those versions.
type DuplicateRowsDropper interface {
	// DropNarrowedRows deletes them, and the store's writes add none from
	// then on; it returns how many rows it deleted. Servers of earlier
	// versions would find nothing by those parameters afterwards.
	DropNarrowedRows(ctx context.Context) (int64, error)
}
