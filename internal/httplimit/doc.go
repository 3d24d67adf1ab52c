// Package httplimit holds limits that apply to every request gpcloud
// serves, pages and FHIR API alike, below any routing: today, how slowly
// a request body may arrive. The FHIR API's own limits (body size, the
// memory budget of large bodies) live in httpapi, which knows FHIR.
package httplimit
