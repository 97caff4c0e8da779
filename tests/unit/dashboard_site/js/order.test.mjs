// The Order view's state and its pure render functions (dashboard/js/views/order.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  answered,
  basisText,
  chosenStore,
  groupOrders,
  initialState,
  shownOrders,
  summaryText,
  supplierHeading,
} from '../../../../dashboard/js/views/order.js';

const order = (store, item, supplier, orderBy, quantity = 12) => ({ store, item, supplier, order_by: orderBy, quantity, pack_size: 12 });
const ROWS = [
  order('Seville', 'Echo Dot', 'Amazon EU', '2026-12-07T10:00:00.000Z'),
  order('Lisbon', 'Cable', null, '2026-12-07T11:00:00.000Z'),
  order('Seville', 'Cable', 'Nordic', '2026-12-07T12:00:00.000Z'),
  order('Lisbon', 'Kindle', 'Kindle Direct', '2026-12-08T10:00:00.000Z'),
  order('Seville', 'Echo Show', 'Amazon EU', '2026-12-09T10:00:00.000Z', 36),
];
const ANSWER = { items: ROWS, cycle_days: 7, service_level: 0.95 };
const items = (rows) => rows.map((row) => `${row.store}/${row.item}`);

function shown(params, store = '') {
  return answered({ ...initialState(), params, store }, { store: '', stores: [], body: ANSWER });
}

test('orders group by store, then supplier by name with "no supplier" last, keeping their order within', () => {
  const groups = groupOrders(ROWS);

  assert.deepEqual(
    groups.map((group) => [group.store, group.suppliers.map((s) => [s.supplier, s.items.map((row) => row.item)])]),
    [
      ['Lisbon', [['Kindle Direct', ['Kindle']], ['', ['Cable']]]],
      ['Seville', [['Amazon EU', ['Echo Dot', 'Echo Show']], ['Nordic', ['Cable']]]],
    ],
  );
});

test('the rows shown (and exported) follow the page: store, supplier, then the chosen order', () => {
  assert.deepEqual(items(shownOrders(shown({}))), ['Lisbon/Kindle', 'Lisbon/Cable', 'Seville/Echo Dot', 'Seville/Echo Show', 'Seville/Cable']);
  assert.deepEqual(items(shownOrders(shown({ sort: 'quantity', dir: 'desc' }, 'Seville'))), ['Seville/Echo Show', 'Seville/Echo Dot', 'Seville/Cable']);
});

test('one store’s answer names its store once: every row gets it', () => {
  const body = { store: 'Lisbon', items: [{ item: 'Kindle', quantity: 12 }], cycle_days: 7, service_level: 0.95 };
  const state = answered({ ...initialState(), store: 'Lisbon' }, { store: 'Lisbon', stores: [], body });

  assert.deepEqual(items(shownOrders(state)), ['Lisbon/Kindle']);
  assert.equal(state.loadedFor, 'Lisbon');
});

test('head office opens on the store last looked at; "all" and store staff see every store', () => {
  assert.equal(chosenStore({}, { admin: true, lastStore: 'Lisbon' }), 'Lisbon');
  assert.equal(chosenStore({ store: 'all' }, { admin: true, lastStore: 'Lisbon' }), '');
  assert.equal(chosenStore({}, { admin: false, lastStore: 'Lisbon' }), '');
  assert.equal(chosenStore({ store: 'Seville' }, { admin: false, lastStore: 'Lisbon' }), 'Seville');
});

test('the summary counts what to order within the cycle; the basis names cycle and service level', () => {
  assert.equal(summaryText(ROWS, ANSWER), '5 items to order within 7 days, soonest first, grouped by supplier.');
  assert.equal(
    summaryText([], ANSWER),
    'Nothing to order within 7 days. Only items seen being used up are suggested: check the Overview for items out of stock or low.',
  );
  assert.match(basisText(ANSWER), /lead time plus 7 days\), with safety stock for 95% of cycles/);
});

test('a supplier’s heading counts items and units; no supplier says so', () => {
  assert.equal(supplierHeading('Amazon EU', ROWS.slice(-1)).textContent, 'Amazon EU · 1 item, 36 units');
  assert.equal(supplierHeading('', ROWS.slice(0, 2)).textContent, 'No supplier given · 2 items, 24 units');
});
