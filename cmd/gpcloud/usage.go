package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// flagSet makes a subcommand's flags. usage is its usage line, with its
// arguments, and what it does; -h and --help show it with the flags.
func flagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n%s\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a subcommand's arguments. -h and --help print the
// usage on stdout and exit 0: help was asked for, nothing failed. A bad
// flag, or an argument where the command takes none (a mistyped flag
// would otherwise be ignored), prints the error and the usage on stderr
// and exits 2. When ok is false the command returns code.
func parseFlags(fs *flag.FlagSet, args []string, takesArgs bool, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(io.Discard) // the flag package would print errors and usage to one writer
	err := fs.Parse(args)
	if err == nil && !takesArgs && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q (this command takes flags only)", fs.Arg(0))
	}
	switch {
	case err == nil:
		fs.SetOutput(stderr)
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0, false
	}
	fs.SetOutput(stderr)
	fmt.Fprintf(stderr, "gpcloud %s: %v\n\n", fs.Name(), err)
	fs.Usage()
	return 2, false
}

// helpAsked reports whether args ask for help (-h, -help, --help or
// help), for commands that read a word before their flags.
func helpAsked(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
