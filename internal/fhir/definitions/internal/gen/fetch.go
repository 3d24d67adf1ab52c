package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/gpcloud/gpcloud/internal/fhir/internal/pinned"
)

// loadPackage returns the files under dist/fhir/r4 of the pinned tarball,
// keyed by base name.
func loadPackage(path string) (map[string][]byte, error) {
	data, err := pinned.Tarball(path, tarballURL)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != packageSHA256 {
		return nil, fmt.Errorf("%s@%s: SHA-256 is %s, want %s", packageName, packageVersion, got, packageSHA256)
	}
	return pinned.TarFiles(data, fhirDir)
}
