// Package demo makes a practice to try gpcloud with: the practice, its
// clinicians, a staff account for every role, and registered patients
// with a believable record (problems, medication, allergies,
// measurements, consultations, immunisations). Everything is made up:
// names from common lists, NHS numbers from the 999 range NHS England
// keeps for test data, dates relative to today. It writes through the
// service, as any other client does.
package demo
