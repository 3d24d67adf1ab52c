package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Reading a Binary whose data is content beside its JSON (binary.go): the
// resource is its stored JSON with the marker taken out and data put
// back. StoredBinary splits that JSON around the data so that it can be
// written out without the data ever being one string in memory.

// StoredBinary is a Binary version whose data lives beside its JSON: its
// JSON is Head, then the content in base64, then Tail. Close it.
type StoredBinary struct {
	Head, Tail []byte
	Info       store.ContentInfo
	// ContentType is the Binary's contentType.
	ContentType string
	content     io.ReadCloser
}

// SplitBinary returns v's JSON split around its stored data, or nil when
// v is not a Binary whose data is stored beside its JSON (its body is the
// whole resource then).
func SplitBinary(ctx context.Context, r store.Reader, v store.Version) (*StoredBinary, error) {
	if v.Type != "Binary" || v.Deleted || !bytes.Contains(v.Body, []byte(storedDataURL)) {
		return nil, nil
	}
	res, err := fhir.Unmarshal(v.Body)
	if err != nil || !hasStoredMarker(res) {
		return nil, err
	}
	res = withoutStoredMarker(res)
	// The JSON encoder decides where data goes (members in name order):
	// encode with a placeholder no resource holds, and split around it.
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	placeholder := "gpcloud-data-" + hex.EncodeToString(nonce[:])
	res["data"] = placeholder
	whole, err := fhir.Marshal(res)
	if err != nil {
		return nil, err
	}
	at := bytes.Index(whole, []byte(`"`+placeholder+`"`))
	if at < 0 {
		return nil, errors.New("service: cannot place the data of Binary/" + v.ID)
	}
	content, info, err := r.OpenContent(ctx, v.Type, v.ID, v.VersionID)
	if err != nil {
		return nil, fmt.Errorf("service: the data of Binary/%s version %d: %w", v.ID, v.VersionID, err)
	}
	contentType, _ := res["contentType"].(string)
	return &StoredBinary{
		Head: whole[:at+1], Tail: whole[at+len(placeholder)+1:],
		Info: info, ContentType: contentType, content: content,
	}, nil
}

// Len is the length of the whole JSON.
func (b *StoredBinary) Len() int64 {
	return int64(len(b.Head)+len(b.Tail)) + int64(base64.StdEncoding.EncodedLen(int(b.Info.Size)))
}

// WriteTo writes the whole JSON, encoding the content as it is read.
func (b *StoredBinary) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.Head)
	total := int64(n)
	if err != nil {
		return total, err
	}
	cw := &countingWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, cw)
	if _, err := io.Copy(enc, b.content); err != nil {
		return total + cw.n, err
	}
	if err := enc.Close(); err != nil {
		return total + cw.n, err
	}
	total += cw.n
	n, err = w.Write(b.Tail)
	return total + int64(n), err
}

// Content returns the raw bytes (to be read once, instead of WriteTo).
func (b *StoredBinary) Content() io.Reader { return b.content }

// Close releases the content.
func (b *StoredBinary) Close() error { return b.content.Close() }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ExpandBody returns v with its Binary data back in its body, in memory:
// for bundles, which hold their entries whole. Other versions are
// returned as they are.
func ExpandBody(ctx context.Context, r store.Reader, v store.Version) (store.Version, error) {
	b, err := SplitBinary(ctx, r, v)
	if err != nil || b == nil {
		return v, err
	}
	defer b.Close()
	var buf bytes.Buffer
	buf.Grow(int(b.Len()))
	if _, err := b.WriteTo(&buf); err != nil {
		return v, err
	}
	v.Body = buf.Bytes()
	return v, nil
}

// expandAll is ExpandBody over a list, in place.
func expandAll(ctx context.Context, r store.Reader, vs []store.Version) error {
	for i := range vs {
		var err error
		if vs[i], err = ExpandBody(ctx, r, vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// BinaryData is the raw content of a Binary version, for serving it in
// its own format.
type BinaryData struct {
	ContentType string
	Size        int64
	io.ReadCloser
}

// OpenBinaryData opens a Binary version's data as raw bytes: the stored
// content, or the base64 data of its JSON decoded (data kept in the JSON,
// see binary.go), or nothing when it has no data.
func (s *Service) OpenBinaryData(ctx context.Context, v store.Version) (*BinaryData, error) {
	b, err := SplitBinary(ctx, s.store, v)
	if err != nil {
		return nil, mapStoreError(err)
	}
	if b != nil {
		return &BinaryData{ContentType: b.ContentType, Size: b.Info.Size, ReadCloser: b.content}, nil
	}
	res, err := fhir.Unmarshal(v.Body)
	if err != nil {
		return nil, err
	}
	contentType, _ := res["contentType"].(string)
	data, _ := res["data"].(string)
	raw, err := base64.StdEncoding.DecodeString(stripSpace(data))
	if err != nil {
		return nil, fmt.Errorf("service: the data of Binary/%s is not base64: %w", v.ID, err)
	}
	return &BinaryData{ContentType: contentType, Size: int64(len(raw)), ReadCloser: io.NopCloser(bytes.NewReader(raw))}, nil
}

// stripSpace drops the white space FHIR allows inside base64.
func stripSpace(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, []byte(s)))
}

// Expanded is ExpandBody over the service's store: v as the client knows
// it, for callers that compare or decode a version read with Read or VRead.
func (s *Service) Expanded(ctx context.Context, v store.Version) (store.Version, error) {
	v, err := ExpandBody(ctx, s.store, v)
	return v, mapStoreError(err)
}

// SplitBinary is the package's SplitBinary over the service's store.
func (s *Service) SplitBinary(ctx context.Context, v store.Version) (*StoredBinary, error) {
	b, err := SplitBinary(ctx, s.store, v)
	return b, mapStoreError(err)
}
