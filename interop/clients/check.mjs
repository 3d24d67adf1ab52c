// Checks a running gpcloud server with an independent FHIR client, the npm
// package fhir-kit-client, the way an integrator's system would call it.
//
//   node check.mjs http://127.0.0.1:8080/fhir
//
// Prints "ok - name" or "not ok - name: reason" per check and a final
// "N passed, M failed"; exits 1 if any check failed.
import { randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error('usage: node check.mjs BASE_URL');
  process.exit(2);
}
// The access token, when the server wants one (gpcloud admin token).
const bearerToken = process.env.GPCLOUD_TOKEN;
const client = new Client(bearerToken ? { baseUrl, bearerToken } : { baseUrl });

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    const status = err?.response?.status ? ` (HTTP ${err.response.status}: ${JSON.stringify(err.response.data).slice(0, 300)})` : '';
    console.log(`not ok - ${name}: ${err.message}${status}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
// expectStatus runs a call that must fail with the given HTTP status.
async function expectStatus(status, call) {
  try {
    await call();
  } catch (err) {
    assert(err?.response?.status === status, `expected HTTP ${status}, got ${err?.response?.status ?? err.message}`);
    return;
  }
  throw new Error(`expected HTTP ${status}, but the call succeeded`);
}
function withoutMeta(resource) {
  const { meta, ...rest } = resource;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

// A random NHS number in the 900 test range with its Modulus 11 check
// digit (the server refuses one without): nine digits weighted 10 to 2,
// the check digit 11 minus the sum mod 11 (11 is 0; 10 is no number).
function testNHSNumber() {
  for (;;) {
    const nine = String(900000000 + Math.floor(Math.random() * 999999));
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
    let check = 11 - (sum % 11);
    if (check === 11) check = 0;
    if (check !== 10) return nine + check;
  }
}
const nhsNumber = testNHSNumber();
const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
  name: [{ use: 'official', family: 'Smith', given: ['Jane'] }],
  gender: 'female',
  birthDate: '1980-02-29',
};
let created;

await check('capabilities: FHIR 4.0.1, Patient read and create', async () => {
  const cs = await client.capabilityStatement();
  assert(cs.resourceType === 'CapabilityStatement', `got ${cs.resourceType}`);
  assert(cs.fhirVersion === '4.0.1', `fhirVersion ${cs.fhirVersion}`);
  const p = cs.rest[0].resource.find((r) => r.type === 'Patient');
  const codes = p.interaction.map((i) => i.code);
  assert(codes.includes('read') && codes.includes('create'), `Patient interactions ${codes}`);
});

await check('create assigns an id and version 1', async () => {
  created = await client.create({ resourceType: 'Patient', body: patient });
  assert(created.id, 'no id');
  assert(created.meta?.versionId === '1', `versionId ${created.meta?.versionId}`);
});

await check('read returns what was created', async () => {
  const read = await client.read({ resourceType: 'Patient', id: created.id });
  assert(withoutMeta(read) === withoutMeta({ ...patient, id: created.id }), `read ${JSON.stringify(read)}`);
});

await check('update makes version 2', async () => {
  const body = { ...patient, id: created.id, name: [{ use: 'official', family: 'Smyth', given: ['Jane'] }] };
  const updated = await client.update({ resourceType: 'Patient', id: created.id, body });
  assert(updated.meta.versionId === '2', `versionId ${updated.meta.versionId}`);
  assert(updated.name[0].family === 'Smyth', 'name not updated');
});

await check('vread returns version 1 unchanged', async () => {
  const v1 = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
  assert(v1.meta.versionId === '1' && v1.name[0].family === 'Smith', `version 1 ${JSON.stringify(v1)}`);
});

await check('JSON Patch makes version 3', async () => {
  const patched = await client.patch({
    resourceType: 'Patient',
    id: created.id,
    jsonPatch: [
      { op: 'test', path: '/gender', value: 'female' },
      { op: 'replace', path: '/birthDate', value: '1980-03-01' },
    ],
  });
  assert(patched.meta.versionId === '3', `versionId ${patched.meta.versionId}`);
  assert(patched.birthDate === '1980-03-01', `birthDate ${patched.birthDate}`);
});

await check('instance history lists 3 versions, newest first', async () => {
  const h = await client.resourceHistory({ resourceType: 'Patient', id: created.id });
  assert(h.resourceType === 'Bundle' && h.type === 'history', `got ${h.resourceType} ${h.type}`);
  assert(h.total === 3, `total ${h.total}`);
  const versions = h.entry.map((e) => e.resource.meta.versionId);
  assert(versions.join() === '3,2,1', `versions ${versions}`);
});

await check('type history includes the patient', async () => {
  const h = await client.typeHistory({ resourceType: 'Patient' });
  assert(h.entry.some((e) => e.resource?.id === created.id), 'patient missing from type history');
});

await check('transaction resolves urn:uuid references', async () => {
  const patientUrn = `urn:uuid:${randomUUID()}`;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'Body weight' }, subject: { reference: patientUrn },
          valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } },
        request: { method: 'POST', url: 'Observation' },
      },
      { fullUrl: patientUrn, resource: { resourceType: 'Patient', name: [{ family: 'Transaction' }] }, request: { method: 'POST', url: 'Patient' } },
    ],
  };
  const resp = await client.transaction({ body: bundle });
  assert(resp.type === 'transaction-response', `type ${resp.type}`);
  assert(resp.entry.length === 2 && resp.entry.every((e) => e.response.status.startsWith('201')), `statuses ${resp.entry.map((e) => e.response.status)}`);
  const [obsType, obsId] = resp.entry[0].response.location.split('/');
  const [patType, patId] = resp.entry[1].response.location.split('/');
  const obs = await client.read({ resourceType: obsType, id: obsId });
  assert(obs.subject.reference === `${patType}/${patId}`, `subject ${obs.subject.reference}`);
});

await check('conditional create returns the existing resource', async () => {
  const again = await client.create({
    resourceType: 'Patient',
    body: patient,
    options: { headers: { 'If-None-Exist': `identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}` } },
  });
  assert(again.id === created.id, `made a new resource ${again.id}`);
});

await check('invalid resource refused with an OperationOutcome', async () => {
  try {
    await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: '1980-13-01' } });
  } catch (err) {
    const oo = JSON.parse(typeof err.response.data === 'string' ? err.response.data : JSON.stringify(err.response.data));
    assert(err.response.status === 400, `status ${err.response.status}`);
    assert(oo.resourceType === 'OperationOutcome' && oo.issue[0].expression[0] === 'Patient.birthDate', `outcome ${JSON.stringify(oo)}`);
    return;
  }
  throw new Error('an invalid birthDate was accepted');
});

await check('delete, then read answers 410 Gone', async () => {
  await client.delete({ resourceType: 'Patient', id: created.id });
  await expectStatus(410, () => client.read({ resourceType: 'Patient', id: created.id }));
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
