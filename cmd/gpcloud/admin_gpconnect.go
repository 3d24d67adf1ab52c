package main

import (
	"fmt"
	"io"

	"github.com/gpcloud/gpcloud/internal/gpconnect"
	"github.com/gpcloud/gpcloud/internal/service"
)

const gpconnectUsage = `  gpcloud admin gpconnect practice [--data DIR | --database DSN] --ods CODE --asid ASID
      make the practice (the Organization with that ODS code) a GP Connect provider answering to ASID (Ssp-To)
  gpcloud admin gpconnect consumer add|remove|list [--data DIR | --database DSN] [--asid ASID] [--ods CODE]
      allow a consumer system (its ASID, Ssp-From) acting for an organisation (ODS code), refuse it, or list them;
      every other system is refused
`

// adminGPConnect keeps the GP Connect directory (internal/gpconnect).
func adminGPConnect(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, gpconnectUsage)
		return 2
	}
	what, rest := args[0], args[1:]
	if what == "consumer" {
		if len(rest) == 0 {
			fmt.Fprint(stderr, gpconnectUsage)
			return 2
		}
		what, rest = "consumer "+rest[0], rest[1:]
	}
	fs := flagSet("admin gpconnect "+what, gpconnectUsage)
	var sc storeConfig
	sc.register(fs)
	ods := fs.String("ods", "", "ODS code")
	asid := fs.String("asid", "", "Spine ASID")
	if code, ok := parseFlags(fs, rest, false, stdout, stderr); !ok {
		return code
	}
	need := map[string][]string{"practice": {"ods", "asid"}, "consumer add": {"ods", "asid"}, "consumer remove": {"asid"}, "consumer list": nil}
	fields, known := need[what]
	if !known {
		fmt.Fprintf(stderr, "gpcloud admin gpconnect: unknown command %q\n\n%s", what, gpconnectUsage)
		return 2
	}
	for _, f := range fields {
		if (f == "ods" && *ods == "") || (f == "asid" && *asid == "") {
			fmt.Fprintf(stderr, "gpcloud admin gpconnect %s: --%s is required\n\n%s", what, f, gpconnectUsage)
			return 2
		}
	}
	ctx, st, done, code := openForCommand("gpcloud admin gpconnect", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	var err error
	switch what {
	case "practice":
		err = gpconnect.SetPractice(ctx, st, service.New(st, service.Options{}), *ods, *asid)
		if err == nil {
			fmt.Fprintf(stdout, "%s answers GP Connect requests to ASID %s\n", *ods, *asid)
		}
	case "consumer add":
		err = gpconnect.AddConsumer(ctx, st, *asid, *ods)
		if err == nil {
			fmt.Fprintf(stdout, "consumer system %s (acting for %s) allowed\n", *asid, *ods)
		}
	case "consumer remove":
		err = gpconnect.RemoveConsumer(ctx, st, *asid)
		if err == nil {
			fmt.Fprintf(stdout, "consumer system %s refused from now on\n", *asid)
		}
	case "consumer list":
		var es []gpconnect.Entry
		if es, err = gpconnect.Consumers(ctx, st); err == nil {
			for _, e := range es {
				fmt.Fprintf(stdout, "%s\t%s\n", e.ASID, e.ODS)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin gpconnect %s: %v\n", what, err)
		return 1
	}
	return 0
}
