// Command assetgen copies the front-end files gpcloud's pages use from
// pinned npm packages into internal/web/static, so that the binary
// embeds them and running needs no npm: the NHS.UK design system's
// compiled CSS, JS and images (nhsuk-frontend), and htmx (htmx.org) for
// partial page updates. Each tarball is checked against its SHA-256. Run
// by go generate in internal/web; its output is committed.
package main

import (
	"archive/tar"
	"bytes"
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

// pkg is one pinned npm package and the files taken from it.
type pkg struct {
	name, version, sha string
	// want maps a file of the package to where it goes under static/.
	want func(name string) (string, bool)
	min  int // files expected at least
}

var packages = []pkg{
	{name: "nhsuk-frontend", version: "10.6.1", sha: "1af037bcb75237c4208809d3ac9a06522ccf61b2268221268ead3985bceb060b", min: 3,
		want: func(name string) (string, bool) {
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
		}},
	// htmx 2.x: the stable line (4.x changed its attributes and events).
	{name: "htmx.org", version: "2.0.11", sha: "165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e", min: 3,
		want: func(name string) (string, bool) {
			switch name {
			case "package/dist/htmx.min.js":
				return "htmx.min.js", true
			case "package/package.json":
				return "htmx.package.json", true
			case "package/LICENSE":
				return "htmx.LICENSE", true
			}
			return "", false
		}},
}

func main() {
	if err := os.RemoveAll("static"); err != nil {
		fmt.Fprintln(os.Stderr, "assetgen:", err)
		os.Exit(1)
	}
	for _, p := range packages {
		if err := p.fetch("static"); err != nil {
			fmt.Fprintf(os.Stderr, "assetgen: %s %s: %v\n", p.name, p.version, err)
			os.Exit(1)
		}
	}
}

func (p pkg) fetch(out string) error {
	tarball := "https://registry.npmjs.org/" + p.name + "/-/" + p.name + "-" + p.version + ".tgz"
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
	if hex.EncodeToString(sum[:]) != p.sha {
		return fmt.Errorf("%s: SHA-256 %x, want %s", tarball, sum, p.sha)
	}
	gz, err := gzip.NewReader(bytes.NewReader(body))
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
		dst, ok := p.want(h.Name)
		if !ok {
			continue
		}
		target := filepath.Join(out, dst)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
		n++
	}
	if n < p.min {
		return fmt.Errorf("only %d files found in the package", n)
	}
	fmt.Printf("assetgen: %s %s: %d files written to %s\n", p.name, p.version, n, out)
	return nil
}
