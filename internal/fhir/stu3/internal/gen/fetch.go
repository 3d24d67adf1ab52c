package main

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"

	"github.com/gpcloud/gpcloud/internal/fhir/internal/pinned"
)

// loadPackage returns the files under profiles/stu3 of the pinned
// tarball, keyed by base name, after checking its SHA-512.
func loadPackage(path string) (map[string][]byte, error) {
	data, err := pinned.Tarball(path, tarballURL)
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != packageSHA512 {
		return nil, fmt.Errorf("%s@%s: integrity is %s, want %s", packageName, packageVersion, got, packageSHA512)
	}
	return pinned.TarFiles(data, stu3Dir)
}

// readSources reads the XML files of the gpconnect-fhir folders.
func readSources(src string) (map[string][]byte, error) { return pinned.ReadXML(src, folders) }

func sha256Of(b []byte) string { return pinned.SHA256(b) }

// sumsFile renders the sums in sha256sum's format, sorted by path.
func sumsFile(files map[string][]byte) []byte {
	return pinned.SumsFile(files, "SHA-256 of every gpconnect-fhir source file, "+repository+"@"+commit)
}

// checkSums refuses the source unless it holds exactly the files listed in
// the sums file, each with its listed SHA-256.
func checkSums(files map[string][]byte, path string) error {
	return pinned.CheckSums(files, path, repository+"@"+commit)
}
