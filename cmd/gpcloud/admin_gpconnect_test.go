package main

import (
	"bytes"
	"strings"
	"testing"
)

// The GP Connect directory commands: a practice needs its Organization,
// consumers are added, listed and removed, bad input is refused.
func TestAdminGPConnect(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := admin(append(args, "--data", dir), strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("demo", "--patients", "1"); code != 0 {
		t.Fatalf("demo: %d %s", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gpconnect", "practice", "--ods", "Y12345", "--asid", "200000000001"}, 0, "answers GP Connect requests"},
		{[]string{"gpconnect", "practice", "--ods", "Z99999", "--asid", "200000000001"}, 1, "0 Organizations"},
		{[]string{"gpconnect", "practice", "--ods", "Y12345"}, 2, "--asid is required"},
		{[]string{"gpconnect", "consumer", "add", "--asid", "918999198738", "--ods", "RYA"}, 0, "allowed"},
		{[]string{"gpconnect", "consumer", "add", "--asid", "x1", "--ods", "RYA"}, 1, "6 to 20 digits"},
		{[]string{"gpconnect", "consumer", "list"}, 0, "918999198738\tRYA"},
		{[]string{"gpconnect", "consumer", "remove", "--asid", "918999198738"}, 0, "refused from now on"},
		{[]string{"gpconnect", "consumer", "remove", "--asid", "918999198738"}, 1, "no consumer system"},
		{[]string{"gpconnect", "consumer", "promote"}, 2, "unknown command"},
	} {
		code, out := run(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: %d %q, want %d %q", c.args, code, out, c.code, c.want)
		}
	}
	if _, out := run("gpconnect", "consumer", "list"); strings.Contains(out, "918999198738") {
		t.Errorf("a removed consumer is listed: %s", out)
	}
}
