// Package pinned is what the FHIR table generators (ukcore's, stu3's,
// definitions') share to read their sources as pinned: a download, the
// XML files of a repository's folders, and the SHA-256 sums file that a
// copy of a repository must match file for file, so that tables are only
// ever generated from what was reviewed.
package pinned

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Download fetches a pinned file (the caller checks its checksum).
func Download(url string) ([]byte, error) {
	c := &http.Client{Timeout: 5 * time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// ReadXML returns the XML files of the folders under src, keyed by their
// path relative to src with forward slashes.
func ReadXML(src string, folders []string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, dir := range folders {
		entries, err := os.ReadDir(filepath.Join(src, dir))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".xml") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(src, dir, e.Name()))
			if err != nil {
				return nil, err
			}
			files[dir+"/"+e.Name()] = data
		}
	}
	return files, nil
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SumsFile renders the sums in sha256sum's format, sorted by path, under
// a comment line (title, without the "# ").
func SumsFile(files map[string][]byte, title string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n", title)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s  %s\n", SHA256(files[name]), name)
	}
	return b.Bytes()
}

// CheckSums refuses the source unless it holds exactly the files listed in
// the sums file at path, each with its listed SHA-256. source names the
// pin in the error ("the release github.com/x/y@commit").
func CheckSums(files map[string][]byte, path, source string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		sum, name, ok := strings.Cut(text, "  ")
		if !ok || len(sum) != 64 {
			return fmt.Errorf("%s:%d: not a sha256sum line", path, line)
		}
		want[name] = sum
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var problems []string
	for name, sum := range want {
		data, ok := files[name]
		switch {
		case !ok:
			problems = append(problems, name+": missing from the source")
		case SHA256(data) != sum:
			problems = append(problems, fmt.Sprintf("%s: SHA-256 is %s, want %s", name, SHA256(data), sum))
		}
	}
	for name := range files {
		if _, ok := want[name]; !ok {
			problems = append(problems, name+": not in "+path)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the source is not the pinned %s:\n  %s", source, strings.Join(problems, "\n  "))
	}
	return nil
}

// TarFiles returns the regular files directly under dir (a prefix such as
// "package/dist/fhir/r4/") of a gzipped tarball, keyed by base name.
func TarFiles(tgz []byte, dir string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		name, ok := strings.CutPrefix(h.Name, dir)
		if h.Typeflag != tar.TypeReg || !ok || strings.Contains(name, "/") {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
}

// Tarball reads a pinned package tarball from a local copy (path) or,
// when path is empty, from the registry's url; the caller checks its
// checksum.
func Tarball(path, url string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	return Download(url)
}
