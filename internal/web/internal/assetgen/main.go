// Command assetgen copies the NHS.UK design system's compiled CSS, JS
// and images from the pinned npm package nhsuk-frontend into
// internal/web/static, so that the binary embeds them and running needs
// no npm. Run by go generate in internal/web; its output is committed.
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const (
	version = "10.6.1"
	tarball = "https://registry.npmjs.org/nhsuk-frontend/-/nhsuk-frontend-" + version + ".tgz"
	sha     = "1af037bcb75237c4208809d3ac9a06522ccf61b2268221268ead3985bceb060b"
)

// wanted maps files of the package to where they go under static/.
func wanted(name string) (string, bool) {
	const dist = "package/dist/nhsuk/"
	switch name {
	case dist + "nhsuk-frontend.min.css":
		return "nhsuk-frontend.min.css", true
	case dist + "nhsuk-frontend.min.js":
		return "nhsuk-frontend.min.js", true
	case "package/package.json":
		return "nhsuk-frontend.package.json", true
	}
	if strings.HasPrefix(name, dist+"assets/images/") && (strings.HasSuffix(name, ".svg") || strings.HasSuffix(name, ".ico") || strings.HasSuffix(name, ".png")) {
		return "images/" + path.Base(name), true
	}
	return "", false
}

func main() {
	if err := run("static"); err != nil {
		fmt.Fprintln(os.Stderr, "assetgen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	resp, err := http.Get(tarball)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", tarball, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != sha {
		return fmt.Errorf("%s: SHA-256 %x, want %s", tarball, sum, sha)
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	gz, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		dst, ok := wanted(h.Name)
		if !ok {
			continue
		}
		p := filepath.Join(out, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		n++
	}
	if n < 3 {
		return fmt.Errorf("only %d files found in the package", n)
	}
	fmt.Printf("assetgen: nhsuk-frontend %s: %d files written to %s\n", version, n, out)
	return nil
}
