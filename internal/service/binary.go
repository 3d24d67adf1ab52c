package service

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// A Binary's data is not kept in its JSON: the store keeps it as content
// beside the version (store.Content), in chunks, so that a scanned
// document of any size is never one JSON string in memory, and a raw
// upload goes to storage as it arrives. The stored JSON carries, in place
// of data, an extension on the data element (_data) saying the content
// holds it, with the content's size and SHA-256: two versions' JSON are
// the same exactly when the resources are. The marker never leaves the
// service: every read puts data back (binarybody.go), so what a client,
// an export or a history reads is the resource as written.
//
// Data whose base64 is not canonical (line breaks or spaces inside, as in
// the official R4 example) stays in the JSON as sent, so that it reads
// back byte for byte; only JSON bodies can carry it, and their strings are
// bounded (fhirjson.DefaultLimits).

// storedDataURL is the marker's extension URL; clients may not send it.
const storedDataURL = "https://gpcloud.dev/fhir/StructureDefinition/stored-data"

// refuseStoredMarker refuses a Binary that carries the marker: only the
// server writes it.
func refuseStoredMarker(res fhir.Resource) error {
	if !hasStoredMarker(res) {
		return nil
	}
	return fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "the extension %s is the server's own and may not be sent", storedDataURL).At("Binary.data.extension")
}

func hasStoredMarker(res fhir.Resource) bool {
	meta, _ := res["_data"].(map[string]any)
	exts, _ := meta["extension"].([]any)
	for _, e := range exts {
		if m, _ := e.(map[string]any); m["url"] == storedDataURL {
			return true
		}
	}
	return false
}

// moveData takes a validated Binary's data out of the JSON into content
// for the store, leaving the marker. It returns the resource to store (a
// copy when it changed: the caller's map keeps its data) and the content,
// nil when the data stays (none, or not canonical base64).
func moveData(res fhir.Resource) (fhir.Resource, *store.Content) {
	data, ok := res["data"].(string)
	if !ok || strings.ContainsAny(data, "\r\n") {
		return res, nil
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(data)
	if err != nil {
		return res, nil
	}
	sum := sha256.Sum256(raw)
	info := store.ContentInfo{Size: int64(len(raw)), SHA256: hex.EncodeToString(sum[:])}
	return withStoredMarker(res, info), &store.Content{Data: bytes.NewReader(raw)}
}

// withStoredMarker returns a copy of res without data and with the marker
// on _data (beside any extensions the client put there).
func withStoredMarker(res fhir.Resource, info store.ContentInfo) fhir.Resource {
	out := maps.Clone(res)
	delete(out, "data")
	elem := map[string]any{}
	if old, ok := res["_data"].(map[string]any); ok {
		elem = maps.Clone(old)
	}
	exts, _ := elem["extension"].([]any)
	elem["extension"] = append(append([]any(nil), exts...), map[string]any{"url": storedDataURL,
		"valueString": fmt.Sprintf("%d bytes, SHA-256 %s", info.Size, info.SHA256)})
	out["_data"] = elem
	return out
}

// withoutStoredMarker is the inverse, for reads: res (a stored Binary
// decoded) without the marker, data to be set by the caller.
func withoutStoredMarker(res fhir.Resource) fhir.Resource {
	elem, _ := res["_data"].(map[string]any)
	exts, _ := elem["extension"].([]any)
	var kept []any
	for _, e := range exts {
		if m, _ := e.(map[string]any); m["url"] != storedDataURL {
			kept = append(kept, e)
		}
	}
	delete(elem, "extension")
	if len(kept) > 0 {
		elem["extension"] = kept
	}
	if len(elem) == 0 {
		delete(res, "_data")
	}
	return res
}

// uploadKey carries content a raw upload staged to the one Binary write
// the request makes (CreateBinary, UpdateBinary).
type uploadKey struct{}

type staged struct {
	name string
	info store.ContentInfo
}

// withUpload returns a write w for a raw upload: its content is what the
// upload staged, and its JSON carries the marker.
func withUpload(ctx context.Context, w store.Write) (store.Write, error) {
	up, ok := ctx.Value(uploadKey{}).(staged)
	if !ok || w.Type != "Binary" {
		return w, nil
	}
	res, err := fhir.Unmarshal(w.Body)
	if err != nil {
		return w, err
	}
	if w.Body, err = fhir.Marshal(withStoredMarker(res, up.info)); err != nil {
		return w, err
	}
	w.Content = &store.Content{Staged: up.name}
	return w, nil
}

// rewound makes a write's in-memory content readable from its start: a
// transaction run again (after a broken connection or a conflict) writes
// the same prepared versions again.
func rewound(w store.Write) store.Write {
	if w.Content != nil {
		if r, ok := w.Content.Data.(io.Seeker); ok {
			_, _ = r.Seek(0, io.SeekStart)
		}
	}
	return w
}

// Upload is a Binary sent as raw bytes: the body of POST or PUT
// /fhir/Binary with the document's own Content-Type.
type Upload struct {
	ContentType string
	// SecurityContext is the X-Security-Context header: a reference.
	SecurityContext string
	Body            io.Reader
}

// binaryOf is the Binary resource an upload makes (without its data).
func (u Upload) binaryOf(id string) fhir.Resource {
	res := fhir.Resource{"resourceType": "Binary", "contentType": u.ContentType}
	if id != "" {
		res["id"] = id
	}
	if u.SecurityContext != "" {
		res["securityContext"] = map[string]any{"reference": u.SecurityContext}
	}
	return res
}

// CreateBinary stores an upload as a new Binary. The bytes are staged in
// the store as they arrive (bounded memory, no lock held while a slow
// client sends them), then a short transaction writes the version that
// takes them.
func (s *Service) CreateBinary(ctx context.Context, u Upload) (Outcome, error) {
	res := u.binaryOf("")
	return s.upload(ctx, res, u.Body, func(ctx context.Context) (Outcome, error) { return s.Create(ctx, "Binary", res, "") })
}

// UpdateBinary stores an upload as the next version of Binary/id (or
// creates it).
func (s *Service) UpdateBinary(ctx context.Context, id string, u Upload, ifMatch Precondition) (Outcome, error) {
	res := u.binaryOf(id)
	return s.upload(ctx, res, u.Body, func(ctx context.Context) (Outcome, error) { return s.Update(ctx, "Binary", id, res, ifMatch) })
}

// upload checks what it can before reading the body (a refusal must not
// cost the client the upload, nor the store the bytes), stages the body,
// then writes, where every check runs again in the write's transaction.
func (s *Service) upload(ctx context.Context, res fhir.Resource, body io.Reader, write func(context.Context) (Outcome, error)) (Outcome, error) {
	if err := s.checkUpload(ctx, res); err != nil {
		return Outcome{}, err
	}
	br := bufio.NewReader(body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		// FHIR has no empty base64Binary: a Binary of no bytes has no data.
		return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "the request has no body: the document's bytes are expected")
	}
	name, info, err := s.store.StageContent(ctx, br)
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	return write(context.WithValue(ctx, uploadKey{}, staged{name, info}))
}

// checkUpload checks the caller's scopes, and, unless the securityContext
// is a conditional reference (resolved only in the transaction), their
// reach and the Binary the upload makes.
func (s *Service) checkUpload(ctx context.Context, res fhir.Resource) error {
	perm, id := auth.Create, res.ID()
	if id != "" {
		perm = auth.Update
		if err := checkID(id); err != nil {
			return err
		}
	}
	if _, err := allow(ctx, "Binary", perm); err != nil {
		return err
	}
	if sc, _ := res["securityContext"].(map[string]any); sc != nil {
		if ref, _ := sc["reference"].(string); ref != "" {
			if _, _, conditional := conditionalReference(ref); conditional {
				return nil
			}
		}
	}
	if err := s.guardWrite(ctx, s.store, "Binary", id, perm, res); err != nil {
		return err
	}
	_, err := prepareWrite(maps.Clone(res), "Binary", cmp.Or(id, "upload"), 1, http.MethodPost, s.now(), s.codes)
	return err
}
