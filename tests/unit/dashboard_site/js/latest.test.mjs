// Late answers dropped (dashboard/js/latest.js), run by node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { latest } from '../../../../dashboard/js/latest.js';

/** A request the test answers when it likes; `signal` is the one the helper handed it. */
function deferred() {
  const request = {};
  request.promise = new Promise((resolve, reject) => Object.assign(request, { resolve, reject }));
  request.start = (signal) => {
    request.signal = signal;
    return request.promise;
  };
  return request;
}

test('an older answer arriving after a newer one is dropped, and its request aborted', async () => {
  const loads = latest();
  const shown = [];
  const older = deferred();
  const newer = deferred();
  const first = loads.run(older.start, (answer) => shown.push(answer));
  const second = loads.run(newer.start, (answer) => shown.push(answer));

  assert.equal(older.signal.aborted, true);
  newer.resolve('Berlin');
  older.resolve('Karachi');

  assert.deepEqual([await first, await second], [false, true]);
  assert.deepEqual(shown, ['Berlin']);
});

test('the failure of a request left behind is dropped; the newest one reports its own', async () => {
  const loads = latest();
  const older = deferred();
  const newer = deferred();
  const first = loads.run(older.start, () => {});
  const second = loads.run(newer.start, () => {});

  older.reject(new Error('late failure'));
  newer.reject(new Error('current failure'));

  assert.equal(await first, false);
  await assert.rejects(second, /current failure/);
});

test('an abort is not an error, and cancel drops what is on its way', async () => {
  const loads = latest();
  const shown = [];
  const pending = deferred();
  const run = loads.run(pending.start, (answer) => shown.push(answer));

  loads.cancel();
  pending.resolve('too late');

  assert.equal(await run, false);
  assert.equal(pending.signal.aborted, true);
  assert.deepEqual(shown, []);
  const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });
  assert.equal(await loads.run(() => Promise.reject(aborted), () => {}), false);
});
