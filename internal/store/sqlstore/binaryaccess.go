package sqlstore

import (
	"strconv"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// binaryAccess writes the access condition of Binary, the rule the
// service applies to one Binary (service/binaryaccess.go), read from the
// Binary's securityContext index row s:
//   - a Patient: reached as that patient's records are;
//   - a record of the Patient compartment, existing and not deleted:
//     reached as that record is (through its own compartment rows);
//   - any other type but Binary: reference data;
//   - no securityContext (no row): reached by no restricted caller.
func (sb *sqlBuilder) binaryAccess(a *search.Access, idCol string) {
	types, pairs, unshared := compartmentPairs()
	s, t := sb.nextAlias("s"), sb.nextAlias("t")
	sb.w(` AND EXISTS (SELECT 1 FROM reference_index ` + s + ` WHERE `)
	sb.ownedBy(s, idCol)
	sb.w(` AND `)
	sb.paramIn(sb.noIndexNumber(s+`.pid`), []string{search.SecurityContextParam})
	sb.w(` AND ((` + s + `.target_type = 'Patient' AND `)
	sb.reachesPatient(a, targetOf(s))
	sb.w(`) OR `+s+`.target_type NOT IN (`+placeholders(len(types)+2)+`)`, append(anySlice(types), "Patient", "Binary")...)
	sb.w(` OR (`+s+`.target_type IN (`+placeholders(len(types))+`)`, anySlice(types)...)
	sb.w(` AND EXISTS (SELECT 1 FROM resource_current ` + t + ` WHERE `)
	sb.isTargetOf(t, s)
	sb.w(` AND NOT ` + t + `.deleted)`)
	// ownedBy selects the target's rows naming a patient through its own
	// type's compartment parameters (type and parameter together: the
	// same parameter name links another type to a patient, or not).
	ownedBy := func(k string) {
		sb.w(`SELECT 1 FROM reference_index ` + k + ` WHERE `)
		sb.isTargetOf(k, s)
		sb.w(` AND ` + k + `.target_type = 'Patient'` +
			` AND (` + k + `.type || ' ' || CAST(` + k + `.pid AS TEXT)) IN (`)
		for i, pair := range pairs {
			if i > 0 {
				sb.w(`, `)
			}
			if n, ok := sb.params.id(pair.param); ok {
				sb.w(`?`, pair.typ+" "+strconv.FormatInt(n, 10))
				continue
			}
			sb.w(`CAST(? AS TEXT) || ' ' || CAST(`, pair.typ)
			sb.number(paramNumbers, nil, pair.param)
			sb.w(` AS TEXT)`)
		}
		sb.w(`)`)
	}
	k := sb.nextAlias("k")
	sb.w(` AND (EXISTS (`)
	ownedBy(k)
	sb.w(` AND `)
	sb.reachesPatient(a, targetOf(k))
	sb.w(sb.dialect.ProbeSuffix + `)`)
	if a.Practice != "" {
		// A record of no patient, which a practice shares where a search
		// of its type would (search.UnownedShared).
		k = sb.nextAlias("k")
		sb.w(` OR (`)
		if len(unshared) > 0 {
			sb.w(s+`.target_type NOT IN (`+placeholders(len(unshared))+`) AND `, anySlice(unshared)...)
		}
		sb.w(`NOT EXISTS (`)
		ownedBy(k)
		sb.w(sb.dialect.ProbeSuffix + `))`)
	}
	sb.w(`)))` + sb.dialect.ProbeSuffix + `)`)
}

var (
	pairsOnce        sync.Once
	compartmentTypes []string    // types of the Patient compartment but Patient
	typeParamPairs   []typeParam // each of their compartment parameters
	unsharedTypes    []string    // those whose records of no patient are not shared
)

type typeParam struct{ typ, param string }

func compartmentPairs() (types []string, pairs []typeParam, unshared []string) {
	pairsOnce.Do(func() {
		for _, typ := range definitions.ResourceTypes() {
			params := definitions.PatientCompartment(typ)
			if typ == "Patient" || len(params) == 0 {
				continue
			}
			compartmentTypes = append(compartmentTypes, typ)
			for _, p := range search.StoredParams(typ, params, "Patient") {
				typeParamPairs = append(typeParamPairs, typeParam{typ, p})
			}
			if !search.UnownedShared(typ) {
				unsharedTypes = append(unsharedTypes, typ)
			}
		}
	})
	return compartmentTypes, typeParamPairs, unsharedTypes
}
