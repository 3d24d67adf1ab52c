// Command gpcloud is the gpcloud clinical system: one binary whose
// subcommands run the FHIR server (serve) and operator tasks.
//
// This is the only package that knows every other one: it reads the
// configuration, opens the store and wires the service and HTTP layers.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// GPCLOUD_CPUPROFILE=FILE writes a CPU profile of the whole command
	// (for bench/: go tool pprof FILE), so that an import or a server run
	// can be profiled as operators run it.
	if path := os.Getenv("GPCLOUD_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gpcloud: GPCLOUD_CPUPROFILE: %v\n", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "gpcloud: GPCLOUD_CPUPROFILE: %v\n", err)
			os.Exit(2)
		}
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `gpcloud: a FHIR R4 clinical system for GP practices

Usage:
  gpcloud serve [--listen ADDR] [--data DIR | --database DSN] [flags]
                            run the FHIR server; it creates its store on
                            first start (gpcloud serve -h for flags)
  gpcloud admin COMMAND     init, reindex, token, user add, client add,
                            audit verify (gpcloud admin -h)
  gpcloud export --out DIR  write every resource as NDJSON with a manifest
                            (gpcloud export -h for flags)
  gpcloud import PATH...    load Bundles and NDJSON (.gz, directories) into
                            the store or, with --server URL, a FHIR server
                            (gpcloud import -h for flags)
  gpcloud migrate --from URL  copy another FHIR server's records (Bulk Data)
                            and keep them current until cut-over
                            (gpcloud migrate -h for flags)
  gpcloud version           print the version and the commit it was built from
  gpcloud help [COMMAND]    this text, or a command's (as COMMAND -h does)

Every command but serve and admin init works on an existing store: a
--data directory or --database that holds none is refused (exit status 2).
`

func run(args []string, stdout, stderr io.Writer) int {
	return runWithStdin(args, os.Stdin, stdout, stderr)
}

// runWithStdin is run with the input commands read from (a password with
// --password-stdin), so that tests can give it.
func runWithStdin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "import":
		return importCmd(args[1:], stdout, stderr)
	case "export":
		return export(args[1:], stdout, stderr)
	case "migrate":
		return migrate(args[1:], stdout, stderr)
	case "admin":
		return admin(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		printVersion(stdout)
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			// "gpcloud help import" is "gpcloud import --help".
			return runWithStdin(append(append([]string{}, args[1:]...), "--help"), stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gpcloud: unknown command %q\n\n%s", args[0], usage)
	return 2
}
