// The alerts view's state and its pure render functions (dashboard/js/views/alerts.js), under node.
import { element } from './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answered, initialState, storeOptions, summaryText, visibleAlerts } from '../../../../dashboard/js/views/alerts.js';

const alert = (store, item, count, status, updatedAt) => ({ store, item, count, status, threshold: null, updated_at: updatedAt });
const ALERTS = [
  alert('Berlin', 'Echo Dot', 0, 'out', '2026-11-22T08:00:00Z'),
  alert('Karachi', 'Kindle', 2, 'low', '2026-11-22T10:00:00Z'),
  alert('Berlin', 'Echo Show', 3, 'low', '2026-11-21T09:00:00Z'),
];
const STORES = [{ store: 'Berlin' }, { store: 'Karachi' }];
const items = (rows) => rows.map((row) => row.item);

function shown(params) {
  return answered({ ...initialState(), params }, { stores: STORES, alerts: ALERTS });
}

test('an answer is kept newest first, whatever order the service sent, and clears an earlier error', () => {
  const state = answered({ ...initialState(), error: 'The request failed' }, { stores: STORES, alerts: ALERTS });

  assert.deepEqual(items(state.alerts), ['Kindle', 'Echo Dot', 'Echo Show']);
  assert.equal(state.error, null);
  assert.equal(initialState().alerts, null, 'before the first answer there is nothing to show, not an empty list');
});

test('the chosen store’s alerts are shown, in the chosen column’s order', () => {
  assert.deepEqual(items(visibleAlerts(shown({ store: 'Berlin' }))), ['Echo Dot', 'Echo Show']);
  assert.deepEqual(items(visibleAlerts(shown({ sort: 'count', dir: 'desc' }))), ['Echo Show', 'Kindle', 'Echo Dot']);
  assert.deepEqual(items(visibleAlerts(shown({ sort: 'status' }))), ['Echo Dot', 'Kindle', 'Echo Show']);
  assert.deepEqual(items(visibleAlerts(shown({ sort: 'no-such-column' }))), ['Kindle', 'Echo Dot', 'Echo Show']);
});

test('the summary counts what is shown', () => {
  assert.equal(summaryText(visibleAlerts(shown({}))), '1 out of stock, 2 low.');
  assert.equal(summaryText(visibleAlerts(shown({ store: 'Karachi' }))), '0 out of stock, 1 low.');
});

test('the store filter offers every store after “All my stores”', () => {
  const select = element('select');
  select.append(...storeOptions(STORES));

  assert.deepEqual(
    select.children.map((option) => [option.getAttribute('value'), option.textContent]),
    [
      ['', 'All my stores'],
      ['Berlin', 'Berlin'],
      ['Karachi', 'Karachi'],
    ],
  );
});
