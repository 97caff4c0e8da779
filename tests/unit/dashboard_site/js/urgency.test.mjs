// The order of what needs doing next (dashboard/js/urgency.js), run by node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { byUrgency, isStale, runsOutSoon, totals, urgencyGroup, worstFirst } from '../../../../dashboard/js/urgency.js';

const item = (name, count, status, extra = {}) => ({ item: name, count, status, threshold: null, ...extra });
const names = (items) => items.map((entry) => entry.item);

test('out of stock first, then low, then the rest: not the alphabet', () => {
  const items = [item('Apple', 40, 'ok'), item('Banana', 3, 'low'), item('Cherry', 0, 'out'), item('Date', 1, 'low')];
  assert.deepEqual(names(byUrgency(items, { soonDays: 3 })), ['Cherry', 'Date', 'Banana', 'Apple']);
});

test('low items closest to empty relative to their own level come first', () => {
  const items = [item('Big', 8, 'low', { threshold: 10 }), item('Small', 3, 'low', { threshold: 4 }), item('Half', 5, 'low', { threshold: 10 })];
  assert.deepEqual(names(byUrgency(items, { soonDays: 3 })), ['Half', 'Small', 'Big']);
});

test('the stage default level orders items without their own', () => {
  const items = [item('Own', 4, 'low', { threshold: 5 }), item('Default', 2, 'low')];
  assert.deepEqual(names(byUrgency(items, { soonDays: 3, lowStockDefault: 10 })), ['Default', 'Own']);
  assert.deepEqual(names(byUrgency(items, { soonDays: 3 })), ['Own', 'Default'], 'without the default, the count alone (0.8 vs 2)');
});

test('with a forecast, items running out soonest come between out and low', () => {
  const items = [
    item('Low', 2, 'low', { days_left: null }),
    item('Soon', 30, 'ok', { days_left: 1.5 }),
    item('Sooner', 50, 'ok', { days_left: 0.5 }),
    item('Later', 9, 'ok', { days_left: 20 }),
    item('Out', 0, 'out', { days_left: 0 }),
    item('Steady', 5, 'ok'),
  ];
  assert.deepEqual(names(byUrgency(items, { soonDays: 3 })), ['Out', 'Sooner', 'Soon', 'Low', 'Later', 'Steady']);
  assert.equal(urgencyGroup(items[1], { soonDays: 1 }), 3, 'beyond soonDays an item is not "soon"');
});

test('a low item that also runs out soon counts as soon', () => {
  const items = [item('Low', 1, 'low'), item('LowSoon', 4, 'low', { days_left: 0.2 })];
  assert.deepEqual(names(byUrgency(items, { soonDays: 3 })), ['LowSoon', 'Low']);
});

test('soonDays comes from config.json: there is no default to disagree with the digests', () => {
  assert.throws(() => byUrgency([item('A', 5, 'ok', { days_left: 1 })], {}), /soonDays/);
  assert.throws(() => runsOutSoon(item('A', 5, 'ok', { days_left: 1 }), { soonDays: 0 }), /soonDays/);
});

test('ordering does not change the input', () => {
  const items = [item('B', 1, 'ok'), item('A', 0, 'out')];
  byUrgency(items, { soonDays: 3 });
  assert.deepEqual(names(items), ['B', 'A']);
});

const now = Date.parse('2026-03-10T12:00:00Z');
const store = (name, out, low, lastUpload) => ({ store: name, items: 10, out, low, last_upload_at: lastUpload });

test('a store is stale after the configured time without an upload, or with none recorded', () => {
  assert.equal(isStale(store('A', 0, 0, '2026-03-09T13:00:00Z'), { hours: 48, now }), false);
  assert.equal(isStale(store('A', 0, 0, '2026-03-08T11:59:00Z'), { hours: 48, now }), true);
  assert.equal(isStale(store('A', 0, 0, '2026-03-08T11:59:00Z'), { hours: 72, now }), false);
  assert.equal(isStale(store('A', 0, 0, null), { now }), true);
  assert.equal(isStale(store('A', 0, 0, 'not a time'), { now }), true);
});

test('stores worst first: most out, then most low, then stale, then by name', () => {
  const fresh = '2026-03-10T11:00:00Z';
  const stores = [
    store('Calm', 0, 0, fresh),
    store('Quiet', 0, 0, '2026-03-01T00:00:00Z'),
    store('Lowish', 0, 4, fresh),
    store('Empty 2', 2, 0, fresh),
    store('Empty 10', 10, 0, fresh),
    store('Empty 2 low', 2, 1, fresh),
  ];
  assert.deepEqual(
    worstFirst(stores, { now }).map((s) => s.store),
    ['Empty 10', 'Empty 2 low', 'Empty 2', 'Lowish', 'Quiet', 'Calm'],
  );
});

test('totals across stores count items, stores with items out and stale stores', () => {
  const stores = [store('A', 2, 1, '2026-03-10T11:00:00Z'), store('B', 0, 3, null), store('C', 1, 0, '2026-03-01T00:00:00Z')];
  assert.deepEqual(totals(stores, { now }), { stores: 3, items: 30, out: 3, low: 4, storesOut: 2, stale: 2 });
});
