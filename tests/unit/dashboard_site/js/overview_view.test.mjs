// The overview's state and its pure render functions (dashboard/js/views/overview.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  chartNoteText,
  initialState,
  messageOf,
  partContent,
  runningOutContent,
  storeRows,
  storesAnswered,
  storesPage,
  totalsStats,
  transfersContent,
  usesTable,
} from '../../../../dashboard/js/views/overview.js';
import { formatDaysLeft } from '../../../../dashboard/js/charts.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const hoursAgo = (hours) => new Date(NOW - hours * 3600_000).toISOString();
const store = (name, out, low, uploadedHoursAgo) => ({
  store: name,
  items: 10,
  out,
  low,
  last_upload_at: uploadedHoursAgo === null ? null : hoursAgo(uploadedHoursAgo),
  updated_at: hoursAgo(1),
});
const STORES = [store('Berlin', 0, 1, 1), store('Karachi', 2, 0, 1), store('Lisbon', 0, 0, 120), store('Madrid', 0, 0, 1)];
const names = (rows) => rows.map((row) => row.store);

function answered(params, { lastStore = '', stores = STORES } = {}) {
  const state = { ...initialState({ staleAfterHours: 48, soonDays: 3 }), params, limit: 50 };
  return storesAnswered(state, stores, { lastStore, now: NOW });
}

test('the store the URL names is shown; else the last one looked at; else the worst', () => {
  assert.equal(answered({ store: 'Lisbon' }).selected, 'Lisbon');
  assert.equal(answered({}, { lastStore: 'Madrid' }).selected, 'Madrid');
  assert.equal(answered({ store: 'Nowhere' }).selected, 'Karachi', 'a store out of reach falls back to the worst');
  assert.equal(answered({}, { stores: [] }).selected, '');
  assert.equal(initialState({ staleAfterHours: 48, soonDays: 3 }).stores, null, 'before the first answer: no stores, not an empty list');
});

test('the message says a store is out of reach, that there are no stores, or a failed read', () => {
  assert.equal(messageOf(answered({})), null);
  assert.equal(messageOf(answered({ store: 'Nowhere' })).textContent, 'You do not have access to the store “Nowhere”, or it has no data.');
  assert.equal(messageOf(answered({}, { stores: [] })).textContent, 'No stores are assigned to your account yet. Ask head office to add them.');
  const failed = messageOf({ ...answered({}), error: 'The request failed' });
  assert.equal(failed.getAttribute('role'), 'alert');
});

test('stores are worst first: most out, then most low, then stale before fresh, then by name', () => {
  assert.deepEqual(names(storeRows(answered({}))), ['Karachi', 'Berlin', 'Lisbon', 'Madrid']);
  assert.deepEqual(names(storeRows(answered({ sort: 'store', dir: 'desc' }))), ['Madrid', 'Lisbon', 'Karachi', 'Berlin']);
});

test('a store is stale after the hours the URL chooses, else the stage’s, and says for how long', () => {
  const rows = storeRows(answered({}));
  assert.equal(rows.find((row) => row.store === 'Lisbon').stale, 'No upload for 5 d');
  assert.equal(rows.find((row) => row.store === 'Madrid').stale, null);
  assert.deepEqual(names(storeRows(answered({ show: 'stale' }))), ['Lisbon']);
  assert.deepEqual(names(storeRows(answered({ show: 'stale', stale: '168' }))), []);
  assert.equal(storeRows(answered({}, { stores: [store('Oslo', 0, 0, null)] }))[0].stale, 'No upload recorded');
});

test('the filters find stores by name and by what they lack; a store’s link keeps the filters', () => {
  assert.deepEqual(names(storeRows(answered({ q: 'LIS' }))), ['Lisbon']);
  assert.deepEqual(names(storeRows(answered({ show: 'out' }))), ['Karachi']);
  assert.deepEqual(names(storeRows(answered({ show: 'low' }))), ['Berlin']);
  const [row] = storeRows(answered({ q: 'ber', sort: 'out', store: 'Berlin' }));
  assert.equal(row.href, '#/overview?q=ber&sort=out&store=Berlin');
  assert.equal(row.current, true);
});

test('the table shows a page of stores and says how many match', () => {
  assert.deepEqual(storesPage(answered({})), { rows: storeRows(answered({})), more: false, summary: '4 stores, worst first.' });
  const page = storesPage({ ...answered({ show: 'out' }), limit: 50 });
  assert.equal(page.summary, '1 of 4 stores, worst first.');
  const cut = storesPage({ ...answered({ sort: 'store' }), limit: 2 });
  assert.deepEqual([names(cut.rows), cut.more, cut.summary], [['Berlin', 'Karachi'], true, '4 stores; showing the first 2.']);
});

test('the totals count items, out, low, stores with items out and stale stores', () => {
  const stats = totalsStats(answered({})).map((row) => row.children.map((cell) => cell.textContent));
  assert.deepEqual(stats, [
    ['Stores', '4'],
    ['Items', '40'],
    ['Out of stock', '2'],
    ['Low stock', '1'],
    ['Stores with items out', '1'],
    ['Stale stores', '1'],
  ]);
});

test('head office, or more stores than fit as cards, get a table', () => {
  assert.equal(usesTable(answered({}), false), false);
  assert.equal(usesTable(answered({}), true), true);
  assert.equal(usesTable(answered({}, { stores: Array.from({ length: 7 }, (_, n) => store(`S${n}`, 0, 0, 1)) }), false), true);
});

test('the chart note says when only the first page of items is drawn', () => {
  assert.doesNotMatch(chartNoteText({ items: [{}, {}], next_cursor: null }), /Showing/);
  assert.match(chartNoteText({ items: [{}, {}], next_cursor: 'c2' }), /Showing the first 2 items; the Items view lists them all\.$/);
});

test('what runs out soon lists item, store and cover; none says within how long', () => {
  const item = { store: 'Berlin', item: 'Echo Dot', count: 3, days_left: 0.5, runs_out_at: '2026-12-08T00:00:00Z' };
  const [list, more] = runningOutContent({ items: [item], truncated: true }, '3');
  assert.deepEqual(list.children[0].children.map((cell) => cell.textContent), ['Echo Dot', 'Berlin', '3 left', '12 h left']);
  assert.equal(more.textContent, 'Showing the 1 soonest.');
  assert.equal(runningOutContent({ items: [] }, '1')[0].textContent, 'Nothing is forecast to run out within 1 day.');
  assert.equal(runningOutContent({ items: [] }, '7')[0].textContent, 'Nothing is forecast to run out within 7 days.');
});

test('a transfer names what moves where and when the target runs out; a failed part shows its error', () => {
  const move = { item: 'Kindle', quantity: 4, source: 'Lisbon', target: 'Berlin', runs_out_in_days: 2 };
  const [list] = transfersContent({ items: [move], truncated: false });
  assert.deepEqual(list.children[0].children.map((cell) => cell.textContent), ['Move 4 × Kindle', 'Lisbon → Berlin', 'Berlin runs out in 2 d']);
  assert.equal(transfersContent({ items: [] })[0].textContent, 'No store needs stock another one can spare.');
  assert.equal(partContent({ error: 'No access' }, transfersContent).textContent, 'No access');
});

test('days of cover read in days, in hours under a day, and never as 0 hours', () => {
  assert.equal(formatDaysLeft(12.4), '12 d left');
  assert.equal(formatDaysLeft(2.24), '2.2 d left');
  assert.equal(formatDaysLeft(0.5), '12 h left');
  assert.equal(formatDaysLeft(0.02), 'under 1 h left');
  assert.equal(formatDaysLeft(0), 'under 1 h left');
  assert.equal(formatDaysLeft(null), '');
});
