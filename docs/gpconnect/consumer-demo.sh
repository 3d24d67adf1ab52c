#!/bin/sh
# A GP Connect consumer, as a shell script, for trying gpcloud's provider:
# it sends what the Spine Secure Proxy would (the Ssp-* headers and the
# consumer's unsigned JWT) to find a patient, search free slots, book,
# read the structured record and cancel.
#
#   gpcloud admin demo --data /tmp/gpc
#   gpcloud admin gpconnect practice --data /tmp/gpc --ods Y12345 --asid 200000000001
#   gpcloud admin gpconnect consumer add --data /tmp/gpc --asid 918999198738 --ods RYA
#   gpcloud serve --data /tmp/gpc --gpconnect-proxy 127.0.0.1,::1 &
#
# (--gpconnect-proxy stands this script in for the Spine Secure Proxy:
# without it only mutual-TLS requests are answered.)
#   sh docs/gpconnect/consumer-demo.sh http://localhost:8080 Y12345 200000000001 NHSNUMBER
#
# Needs curl and jq. Made-up identities: NHS 111 (RYA), Dr Claire Jones.
set -eu
ORIGIN=${1:-http://localhost:8080}
ODS=${2:-Y12345}
PROVIDER_ASID=${3:-200000000001}
NHS=${4:?give an NHS number of a demo patient}
CONSUMER_ASID=918999198738
BASE="$ORIGIN/$ODS/STU3/1/gpconnect"

b64url() { base64 | tr -d '\n=' | tr '+/' '-_'; }

# jwt SCOPE: a fresh unsigned JWT (alg none, exp = iat + 300).
jwt() {
	now=$(date +%s)
	header=$(printf '{"alg":"none","typ":"JWT"}' | b64url)
	payload=$(jq -cn --arg aud "$ORIGIN/$ODS/STU3/1" --arg scope "$1" --argjson iat "$now" '{
	  iss: "https://consumer.example/", sub: "10019", aud: $aud, iat: $iat, exp: ($iat + 300),
	  reason_for_request: "directcare", requested_scope: $scope,
	  requesting_device: {resourceType: "Device", identifier: [{system: "https://consumer.example/device", value: "DEMO-1"}], model: "consumer-demo.sh", version: "1"},
	  requesting_organization: {resourceType: "Organization", name: "NHS 111", identifier: [{system: "https://fhir.nhs.uk/Id/ods-organization-code", value: "RYA"}]},
	  requesting_practitioner: {resourceType: "Practitioner", id: "10019", name: [{family: "Jones", given: ["Claire"], prefix: ["Dr"]}],
	    identifier: [{system: "https://fhir.nhs.uk/Id/sds-user-id", value: "111222333444"}, {system: "https://fhir.nhs.uk/Id/sds-role-profile-id", value: "444555666777"}]}
	}' | b64url)
	printf '%s.%s.' "$header" "$payload"
}

# gpc METHOD PATH INTERACTION SCOPE [BODY]
gpc() {
	set -- "$@" ""
	curl -sS -X "$1" "$BASE$2" \
		-H "Ssp-TraceID: $(cat /proc/sys/kernel/random/uuid 2>/dev/null || echo demo-trace)" \
		-H "Ssp-From: $CONSUMER_ASID" -H "Ssp-To: $PROVIDER_ASID" \
		-H "Ssp-InteractionID: urn:nhs:names:services:gpconnect:$3" \
		-H "Authorization: Bearer $(jwt "$4")" \
		-H "Accept: application/fhir+json" -H "Content-Type: application/fhir+json" \
		${5:+--data "$5"}
}

echo "== Find the patient"
FOUND=$(gpc GET "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|$NHS" fhir:rest:search:patient-1 "patient/*.read")
PATIENT=$(echo "$FOUND" | jq -r '.entry[0].resource.id // empty')
if [ -z "$PATIENT" ]; then
	echo "not found:"; echo "$FOUND" | jq -c '.issue // .'
	exit 1
fi
echo "Patient/$PATIENT"

echo "== Free slots in the next 7 days"
FROM=$(date +%F); TO=$(date -d '+7 days' +%F 2>/dev/null || date -v+7d +%F)
SLOTS=$(gpc GET "/fhir/Slot?start=ge$FROM&end=le$TO&status=free&_include=Slot:schedule" fhir:rest:search:slot-1 "organization/*.read")
echo "$SLOTS" | jq -r '[(.entry // [])[].resource | select(.resourceType=="Slot")] | length | "\(.) free slots offered to GP Connect"'
SLOT=$(echo "$SLOTS" | jq -c '[(.entry // [])[].resource | select(.resourceType=="Slot")][0]')

echo "== Book the first"
BODY=$(jq -cn --arg p "$PATIENT" --argjson s "$SLOT" '{resourceType: "Appointment", status: "booked", start: $s.start, end: $s.end,
  description: "Booked by consumer-demo.sh", slot: [{reference: ("Slot/" + $s.id)}],
  participant: [{actor: {reference: ("Patient/" + $p)}, status: "accepted"}],
  contained: [{resourceType: "Organization", id: "1", name: "NHS 111", identifier: [{system: "https://fhir.nhs.uk/Id/ods-organization-code", value: "RYA"}], telecom: [{system: "phone", value: "111"}]}],
  extension: [{url: "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1", valueReference: {reference: "#1"}}]}')
APPT=$(gpc POST /fhir/Appointment fhir:rest:create:appointment-1 "patient/*.write" "$BODY")
echo "$APPT" | jq -c '{id, status, start}'
echo "== The same slot again (expect DUPLICATE_REJECTED)"
gpc POST /fhir/Appointment fhir:rest:create:appointment-1 "patient/*.write" "$BODY" | jq -c '.issue[0].details.coding[0].code'

echo "== Structured record: allergies and medications"
gpc POST '/structured/fhir/Patient/$gpc.getstructuredrecord' fhir:operation:gpc.getstructuredrecord-1 "patient/*.read" \
	"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patientNHSNumber\",\"valueIdentifier\":{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"$NHS\"}},{\"name\":\"includeAllergies\",\"part\":[{\"name\":\"includeResolvedAllergies\",\"valueBoolean\":true}]},{\"name\":\"includeMedication\"}]}" |
	jq -r '.entry[].resource | select(.resourceType=="List") | "\(.title): \(.entry // [] | length) entries"'

echo "== Cancel"
ID=$(echo "$APPT" | jq -r .id)
CANCEL=$(echo "$APPT" | jq -c '.status = "cancelled" | .extension = ((.extension // []) + [{url: "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1", valueString: "Demo over"}])')
gpc PUT "/fhir/Appointment/$ID" fhir:rest:cancel:appointment-1 "patient/*.write" "$CANCEL" | jq -c '{id, status}'
