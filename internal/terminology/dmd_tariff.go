package terminology

import "github.com/gpcloud/gpcloud/internal/store"

// The Drug Tariff's prescribing restrictions are flags of a pack (an
// AMPP's PRESC_INFO): SCHED_1, Part XVIIIA, "not to be prescribed" on the
// NHS (the blacklist), and SCHED_2, Part XVIIIB, the Selected List
// Scheme (prescribed on the NHS only for the conditions listed, the
// prescriber endorsing "SLS"). A prescription names a VMP or an AMP, not
// a pack, so the loader carries the flags up, each with the aggregation
// that keeps what a prescription of the product can lead to:
//
//   - an AMP is blacklisted when all its packs are: one pack the NHS
//     pays for is enough for the pharmacy to dispense the brand;
//   - an AMP is SLS when any of its packs is: requiring the endorsement
//     of a pack that did not need it costs a tick, dispensing an SLS
//     pack without it leaves the patient charged (the Drug Tariff lists
//     SLS products by name, so a product's packs normally agree);
//   - a VMP is blacklisted, or SLS, only when every AMP of it is: a
//     generic prescription may be dispensed as any of its AMPs, so one
//     AMP free of the restriction frees the generic (generic sildenafil
//     left the SLS in 2014 while Viagra stayed in it).
//
// Packs dm+d marks invalid are left out while a product has a valid one
// (an invalid pack is a record in error, not a pack to dispense); AMPs
// without packs say nothing of the Drug Tariff and are left out of their
// VMP's aggregation.

// Props of an AMP and a VMP carrying the flags (the AMPP's own names).
const (
	propBlacklisted = "schedule1NotPrescribable"
	propSLS         = "schedule2SelectedList"
)

// tariffFlags are a pack's, an AMP's or a VMP's Drug Tariff restrictions.
type tariffFlags struct {
	// Valid is false for a concept dm+d marks invalid.
	Valid       bool
	Blacklisted bool // Part XVIIIA
	SLS         bool // Part XVIIIB
}

// ampTariff aggregates an AMP's packs; ok is false when it has none.
func ampTariff(packs []tariffFlags) (out tariffFlags, ok bool) {
	packs = validOnes(packs)
	if len(packs) == 0 {
		return tariffFlags{}, false
	}
	out.Blacklisted = true
	for _, p := range packs {
		out.Blacklisted = out.Blacklisted && p.Blacklisted
		out.SLS = out.SLS || p.SLS
	}
	return out, true
}

// vmpTariff aggregates a VMP's AMPs (those with packs).
func vmpTariff(amps []tariffFlags) tariffFlags {
	amps = validOnes(amps)
	if len(amps) == 0 {
		return tariffFlags{}
	}
	out := tariffFlags{Blacklisted: true, SLS: true}
	for _, a := range amps {
		out.Blacklisted = out.Blacklisted && a.Blacklisted
		out.SLS = out.SLS && a.SLS
	}
	return out
}

// validOnes are the valid of fs, or all of fs when none is valid.
func validOnes(fs []tariffFlags) []tariffFlags {
	var out []tariffFlags
	for _, f := range fs {
		if f.Valid {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return fs
	}
	return out
}

// propagateTariff sets the Drug Tariff flags of the release's AMPs and
// VMPs from their packs (in order, the release's concepts).
func propagateTariff(products map[string]*dmdConcept, order []string) {
	packsOf := map[string][]tariffFlags{} // AMP -> its packs
	for _, code := range order {
		d := products[code]
		if d.c.Kind != "AMPP" {
			continue
		}
		f := tariffFlags{Valid: d.c.Active, Blacklisted: d.props[propBlacklisted] == true, SLS: d.props[propSLS] == true}
		for _, r := range d.rels {
			if r.Type == "APID" && products[r.Dest] != nil {
				packsOf[r.Dest] = append(packsOf[r.Dest], f)
			}
		}
	}
	ampsOf := map[string][]tariffFlags{} // VMP -> its AMPs with packs
	for _, code := range order {
		amp := products[code]
		if amp.c.Kind != "AMP" {
			continue
		}
		f, ok := ampTariff(packsOf[code])
		if !ok {
			continue
		}
		f.Valid = amp.c.Active
		setTariff(amp, f)
		for _, r := range amp.rels {
			if r.Type == store.IsA && products[r.Dest] != nil {
				ampsOf[r.Dest] = append(ampsOf[r.Dest], f)
			}
		}
	}
	for code, amps := range ampsOf {
		setTariff(products[code], vmpTariff(amps))
	}
}

func setTariff(d *dmdConcept, f tariffFlags) {
	if f.Blacklisted {
		d.props[propBlacklisted] = true
	}
	if f.SLS {
		d.props[propSLS] = true
	}
}
