// The page's checks before an upload and its reading of report polls (dashboard/js/upload.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkFile, extensionOf, formatBytes, newestEntry, pollDelayMs } from '../../../../dashboard/js/upload.js';
import { decodeClaims, otpauthUri } from '../../../../dashboard/js/auth.js';

const file = (name, size) => ({ name, size });

test('the four readable types pass in any case', () => {
  for (const name of ['a.csv', 'B.CSV', 'c.Json', 'd.JSONL', 'Bestand März.xlsx', 'e.XLSX']) assert.equal(checkFile(file(name, 10)), null, name);
});

test('other types, empty files and names without an extension are refused with the name', () => {
  assert.match(checkFile(file('notes.txt', 10)), /“notes\.txt” is not a file the inventory can read/);
  assert.match(checkFile(file('stock.csv.exe', 10)), /not a file the inventory can read/);
  assert.match(checkFile(file('csv', 10)), /not a file/);
  assert.equal(checkFile(file('a.csv', 0)), '“a.csv” is empty.');
  assert.equal(checkFile(null), 'Choose a file to upload.');
});

test('the size limit of the grant is enforced, at the limit itself allowed', () => {
  assert.equal(checkFile(file('a.csv', 50 * 1024 * 1024), 50 * 1024 * 1024), null);
  assert.equal(
    checkFile(file('a.csv', 50 * 1024 * 1024 + 1), 50 * 1024 * 1024),
    '“a.csv” is 50 MB; the limit is 50 MB. Split it into smaller files.',
  );
});

test('extensions and sizes as people read them', () => {
  assert.equal(extensionOf('dir.v2/file'), '');
  assert.equal(extensionOf('x.tar.CSV'), '.csv');
  assert.equal(formatBytes(36), '36 bytes');
  assert.equal(formatBytes(2048), '2 KB');
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.5 MB');
});

test('polls for the report start quick and slow down', () => {
  assert.equal(pollDelayMs(0), 1000);
  assert.equal(pollDelayMs(15), 2000);
  assert.equal(pollDelayMs(100), 5000);
});

test('the newest version of an upload is the first the API lists', () => {
  assert.equal(newestEntry({ uploads: [{ version: '2' }, { version: '1' }], report: null }).version, '2');
  assert.equal(newestEntry({ uploads: [], report: null }), null);
  assert.equal(newestEntry(null), null);
});

test('the whole report, once written, gives every rejected line the index row summarised', () => {
  const errors = Array.from({ length: 25 }, (_, n) => ({ line: n + 2, reason: 'count is not a number' }));
  const entry = { key: 'k', version: '1', status: 'partial', rows: { read: 30, rejected: 25 }, errors: errors.slice(0, 10), errors_truncated: true };
  const merged = newestEntry({ uploads: [entry], report: { status: 'partial', rows: entry.rows, errors, errors_truncated: false } });
  assert.equal(merged.errors.length, 25);
  assert.equal(merged.errors_truncated, false);
  assert.equal(merged.key, 'k');
});

test('the otpauth URI names the issuer and the user, escaped, with the secret', () => {
  const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'anna smith', 'Inventory dashboard');
  assert.ok(uri.startsWith('otpauth://totp/Inventory%20dashboard:anna%20smith?'), uri);
  const params = new URL(uri).searchParams;
  assert.equal(params.get('secret'), 'JBSWY3DPEHPK3PXP');
  assert.equal(params.get('issuer'), 'Inventory dashboard');
  assert.equal(params.get('digits'), '6');
  assert.equal(params.get('period'), '30');
});

test('claims are read from a JWT, and garbage gives null', () => {
  const payload = Buffer.from(JSON.stringify({ 'cognito:username': 'jörg', exp: 1 })).toString('base64url');
  assert.deepEqual(decodeClaims(`x.${payload}.y`), { 'cognito:username': 'jörg', exp: 1 });
  assert.equal(decodeClaims('nonsense'), null);
});
