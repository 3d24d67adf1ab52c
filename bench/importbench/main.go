// Command importbench measures `gpcloud import` against the floor: the
// same resources' raw JSON loaded into a bare table with nothing else
// (PostgreSQL: COPY into a jsonb table; SQLite: plain INSERTs in one
// transaction), in the same run, and reports both times, their ratio and
// the import's peak RSS.
//
//	go run ./bench/importbench -store both
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	copies := flag.Int("copies", 1, "load the patient bundles this many times (copies get new identifiers; the server new ids)")
	flag.Parse()
	log.SetFlags(0)

	setup, err := common.Resolve("gpcloud-importbench", 0)
	if err != nil {
		log.Fatal(err)
	}
	dir, first, rest := setup.Dir, setup.First, setup.Rest
	all := append(append([]benchserver.Bundle(nil), first...), rest...)
	for k := 1; k < *copies; k++ {
		clones, err := benchserver.CloneBundles(rest, k)
		if err != nil {
			log.Fatal(err)
		}
		all = append(all, clones...)
	}
	if *copies > 1 {
		// gpcloud import reads files: write the copies out.
		tmp, err := os.MkdirTemp("", "importbench-input-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for i, b := range all {
			if err := os.WriteFile(filepath.Join(tmp, fmt.Sprintf("%06d.json", i)), b.Body, 0o644); err != nil {
				log.Fatal(err)
			}
		}
		dir = tmp
	}
	var raw [][]byte
	for _, b := range all {
		var doc struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b.Body, &doc); err != nil {
			log.Fatal(err)
		}
		for _, e := range doc.Entry {
			var c bytes.Buffer
			if err := json.Compact(&c, e.Resource); err != nil {
				log.Fatal(err)
			}
			raw = append(raw, c.Bytes())
		}
	}
	fmt.Println("| store | resources | floor | gpcloud import | ratio | import resources/s | import peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, st := range setup.Stores {
		floor, err := measureFloor(st, common.Database, raw)
		if err != nil {
			log.Fatalf("%s floor: %v", st, err)
		}
		took, rss, err := measureImport(setup.Binary, st, common.Database, dir)
		if err != nil {
			log.Fatalf("%s import: %v", st, err)
		}
		fmt.Printf("| %s | %d | %.2f s | %.2f s | %.1fx | %.0f | %d MB |\n", st, len(raw), floor.Seconds(), took.Seconds(),
			took.Seconds()/floor.Seconds(), float64(len(raw))/took.Seconds(), rss/1024)
	}
}

// measureFloor loads the raw JSON into a bare table.
func measureFloor(storeName, dsn string, raw [][]byte) (time.Duration, error) {
	ctx := context.Background()
	if storeName == "sqlite" {
		d, err := os.MkdirTemp("", "importbench-floor-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(d)
		db, err := sql.Open("sqlite", "file:"+filepath.Join(d, "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			return 0, err
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE raw (body BLOB NOT NULL)`); err != nil {
			return 0, err
		}
		start := time.Now()
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		stmt, err := tx.Prepare(`INSERT INTO raw (body) VALUES (?)`)
		if err != nil {
			return 0, err
		}
		for _, r := range raw {
			if _, err := stmt.Exec(r); err != nil {
				return 0, err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE raw (body jsonb NOT NULL)`); err != nil {
		return 0, err
	}
	start := time.Now()
	rows := make([][]any, len(raw))
	for i, r := range raw {
		rows[i] = []any{string(r)}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"raw"}, []string{"body"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// measureImport runs gpcloud import on a fresh store and reads its peak
// RSS from /usr/bin/time's report.
func measureImport(bin, storeName, dsn, dir string) (time.Duration, int64, error) {
	args := []string{"import"}
	if storeName == "postgres" {
		schema, drop, err := benchserver.FreshSchema(dsn)
		if err != nil {
			return 0, 0, err
		}
		defer drop()
		args = append(args, "--database", benchserver.WithSearchPath(dsn, schema))
	} else {
		d, err := os.MkdirTemp("", "importbench-")
		if err != nil {
			return 0, 0, err
		}
		defer os.RemoveAll(d)
		args = append(args, "--data", d)
	}
	// import refuses a place without a store: make one first (untimed).
	if out, err := exec.Command(bin, append([]string{"admin", "init"}, args[1:]...)...).CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("admin init: %v: %s", err, out)
	}
	args = append(args, dir)
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "peakrss=%M", bin}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = os.Stdout
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, tail(stderr.String()))
	}
	took := time.Since(start)
	var rss int64
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "peakrss="); ok {
			fmt.Sscan(v, &rss)
		}
	}
	return took, rss, nil
}

func tail(s string) string {
	if len(s) > 500 {
		return s[len(s)-500:]
	}
	return s
}
