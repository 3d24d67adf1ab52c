package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

const slotsUsage = `  gpcloud admin slots [--data DIR | --database DSN] --schedule ID [--weeks 6]
      generate a Schedule's Slots from its rota (sessions and exceptions on
      the Schedule) from now to the horizon; running it again changes
      nothing; booked Slots an exception covers are listed, never moved
`

// slots generates a Schedule's Slots from its rota.
func slots(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin slots", slotsUsage)
	var sc storeConfig
	sc.register(fs)
	schedule := fs.String("schedule", "", "the Schedule's id")
	weeks := fs.Int("weeks", 6, "how many weeks ahead")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	if *schedule == "" || *weeks < 1 || *weeks > 52 {
		fmt.Fprintf(stderr, "gpcloud admin slots: --schedule is required and --weeks must be 1 to 52\n\n%s", slotsUsage)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud admin slots", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	svc := service.New(st, service.Options{Booking: clinical.BookingRules{}})
	now := time.Now()
	g, err := appointments.Generate(ctx, svc, *schedule, now, now.AddDate(0, 0, 7**weeks))
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin slots: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Schedule/%s: %d slots created, %d blocked, %d removed, %d unchanged", *schedule, g.Created, g.Blocked, g.Removed, g.Kept)
	if g.Rereleased > 0 {
		fmt.Fprintf(stdout, ", %d given a new GP Connect release", g.Rereleased)
	}
	fmt.Fprintln(stdout)
	for _, d := range g.Displaced {
		fmt.Fprintf(stdout, "displaced: Slot/%s at %s (%s): move its appointment\n", d.Slot, d.Start.In(clinical.UKTime).Format("Mon 02-Jan-2006 15:04"), d.Reason)
	}
	return 0
}
