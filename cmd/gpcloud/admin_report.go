package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/paclaims"
	"github.com/gpcloud/gpcloud/internal/portal"
	"github.com/gpcloud/gpcloud/internal/service"
)

const reportUsage = `  gpcloud admin report appointments|video|portal [--data DIR | --database DSN] --from DATE --to DATE --out FILE.csv [--submit]
  gpcloud admin report pa-items [--data DIR | --database DSN] --month YYYY-MM --out FILE.csv
      appointments: the GP Appointments Data (S62) fields of each
      appointment; video: the video consultations of each day (E00617:
      booked, held by video, switched to phone, did not attend,
      cancelled, minutes); portal: the patient portal's use each month
      (E00109: online requests, repeat requests, appointments booked
      and cancelled online, messages each way, contact details
      changed); from one day to another (both included; dates
      as 2026-12-01 or 01/12/2026), as CSV; refuses an --out that exists
      or whose folder does not.
      pa-items: the month's personally administered items by dm+d
      product (items, quantity) for the FP34D appendix, as the practice
      admin's page shows them; the FP34D is submitted to the NHSBSA by the
      practice: gpcloud does not send it.
      --submit (appointments) also offers each week (Monday to Sunday) to
      the national weekly submission, which is not connected: it says so, sends nothing
`

// report writes a report: appointments or video.
func report(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "appointments" && args[0] != "video" && args[0] != "portal" && args[0] != "pa-items") {
		fmt.Fprintf(stderr, "gpcloud admin report: say which report: appointments, video, portal or pa-items\n\n%s", reportUsage)
		return 2
	}
	kind := args[0]
	fs := flagSet("admin report "+kind, reportUsage)
	var sc storeConfig
	sc.register(fs)
	fromFlag := fs.String("from", "", "the first day")
	toFlag := fs.String("to", "", "the last day")
	out := fs.String("out", "", "the CSV file to write")
	submit := fs.Bool("submit", false, "offer each week to the national GPAD submission (not connected)")
	ods := fs.String("ods", "", "the practice's ODS code, for the submission (default: the one Organization's)")
	month := fs.String("month", "", "pa-items: the month, YYYY-MM")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	if kind == "pa-items" {
		return paItemsReport(sc, *month, *out, stdout, stderr)
	}
	from, err1 := reportDate(*fromFlag)
	to, err2 := reportDate(*toFlag)
	switch {
	case err1 != nil:
		fmt.Fprintf(stderr, "gpcloud admin report %s: --from: %v\n", kind, err1)
		return 2
	case err2 != nil:
		fmt.Fprintf(stderr, "gpcloud admin report %s: --to: %v\n", kind, err2)
		return 2
	case to.Before(from):
		fmt.Fprintf(stderr, "gpcloud admin report %s: --to %s is before --from %s\n", kind, *toFlag, *fromFlag)
		return 2
	case *out == "":
		fmt.Fprintf(stderr, "gpcloud admin report %s: --out FILE.csv is required\n", kind)
		return 2
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(stderr, "gpcloud admin report %s: %s exists: give a new file\n", kind, *out)
		return 2
	}
	if info, err := os.Stat(filepath.Dir(*out)); err != nil || !info.IsDir() {
		fmt.Fprintf(stderr, "gpcloud admin report %s: the folder of %s does not exist\n", kind, *out)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud admin report "+kind, sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	svc := service.New(st, service.Options{})
	header, rows, what := clinical.GPADHeader, [][]string(nil), "appointments"
	var appts []clinical.GPADRow
	switch kind {
	case "portal":
		months, err := portal.Report(ctx, svc, from, to.AddDate(0, 0, 1))
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud admin report %s: %v\n", kind, err)
			return 1
		}
		header, what = clinical.PortalReportHeader, "months of portal use"
		for _, m := range months {
			rows = append(rows, m.Fields())
		}
	case "video":
		days, err := appointments.VideoReport(ctx, svc, from, to.AddDate(0, 0, 1))
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud admin report %s: %v\n", kind, err)
			return 1
		}
		header, what = clinical.VideoReportHeader, "days with video appointments"
		for _, d := range days {
			rows = append(rows, d.Fields())
		}
	default:
		var err error
		appts, err = appointments.Report(ctx, svc, from, to.AddDate(0, 0, 1))
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud admin report %s: %v\n", kind, err)
			return 1
		}
		for _, r := range appts {
			rows = append(rows, r.Fields())
		}
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin report %s: %v\n", kind, err)
		return 1
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin report %s: %v\n", kind, err)
		os.Remove(*out)
		return 1
	}
	fmt.Fprintf(stdout, "%d %s from %s to %s written to %s\n", len(rows), what, from.Format("2006-01-02"), to.Format("2006-01-02"), *out)
	if *submit && kind == "appointments" {
		if *ods == "" {
			if *ods, err = appointments.PracticeODS(ctx, svc); err != nil {
				fmt.Fprintf(stderr, "gpcloud admin report appointments: the practice's ODS code: %v\n", err)
				return 1
			}
		}
		var sender appointments.GPADSubmitter = appointments.NotConnectedGPAD{}
		for _, sub := range clinical.WeeklySubmissions(*ods, appts) {
			if _, err := sender.Submit(ctx, sub); err != nil {
				fmt.Fprintf(stdout, "week of %s, practice %s (%d appointments): %v\n", sub.WeekStart, sub.ODS, len(sub.Rows), err)
			}
		}
	}
	return 0
}

// reportDate reads a day as YYYY-MM-DD or DD/MM/YYYY, in UK time.
func reportDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, clinical.UKTime); err == nil {
			return t, nil
		}
	}
	if s == "" {
		return time.Time{}, errors.New("a date is required")
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-01 or 01/12/2026", s)
}

// paItemsReport writes the month's personally administered items
// (paclaims.Read, as the practice admin's page) to out as CSV.
func paItemsReport(sc storeConfig, month, out string, stdout, stderr io.Writer) int {
	const cmd = "gpcloud admin report pa-items"
	if _, _, msg := clinical.ParseClaimMonth(month, time.Now()); msg != "" {
		fmt.Fprintf(stderr, "%s: --month: %s\n", cmd, msg)
		return 2
	}
	if out == "" {
		fmt.Fprintf(stderr, "%s: --out FILE.csv is required\n", cmd)
		return 2
	}
	if _, err := os.Stat(out); err == nil {
		fmt.Fprintf(stderr, "%s: %s exists: give a new file\n", cmd, out)
		return 2
	}
	if info, err := os.Stat(filepath.Dir(out)); err != nil || !info.IsDir() {
		fmt.Fprintf(stderr, "%s: the folder of %s does not exist\n", cmd, out)
		return 2
	}
	ctx, st, done, code := openForCommand(cmd, sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	svc := service.New(st, service.Options{})
	claim, msg, err := paclaims.Read(ctx, svc, paclaims.Products(svc), month, time.Now())
	if msg != "" {
		err = errors.New(msg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 1
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return 1
	}
	w := csv.NewWriter(f)
	_ = w.WriteAll(claim.CSV())
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		os.Remove(out)
		return 1
	}
	fmt.Fprintf(stdout, "%d personally administered items of %s written to %s. %s\n", claim.Items, claim.Month, out, clinical.ClaimNotice)
	return 0
}
