// The items view's state and its pure render functions (dashboard/js/views/items.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { emptyText, initialState, pager, sortedRows, summaryText } from '../../../../dashboard/js/views/items.js';

const COLUMNS = [{ key: 'count', value: (row) => row.count }];
const row = (item, count) => ({ store: 'Berlin', item, count, status: 'ok', threshold: null });
const ROWS = [row('Echo Dot', 12), row('Echo Show', 3), row('Kindle', 40)];

function state(params, extra = {}) {
  return { ...initialState(), params, rows: ROWS, ...extra };
}

test('a page says which items it holds and whether more follow', () => {
  assert.equal(summaryText(state({ limit: '25' }, { nextCursor: 'c2' })), 'Items 1–3, more on the next page.');
  assert.equal(summaryText(state({ limit: '25', page: '3', cursor: 'c3' })), 'Items 51–53.');
  assert.equal(summaryText(state({}, { rows: [] })), '', 'nothing shown: nothing said');
});

test('"All" rows says whether the store was cut short', () => {
  assert.equal(summaryText(state({ limit: 'all' })), 'All 3 items.');
  assert.equal(summaryText(state({ limit: 'all' }, { truncated: true })), 'The first 3 items.');
});

test('a sort over more than one page says it sorts within the page', () => {
  assert.equal(
    summaryText(state({ sort: 'count' }, { nextCursor: 'c2' })),
    'Items 1–3, more on the next page · sorted within this page (choose “All” rows to sort the whole store).',
  );
  assert.equal(summaryText(state({ sort: 'count', limit: 'all' })), 'All 3 items.');
});

test('rows follow the chosen column and direction; an unknown column keeps the service’s order', () => {
  const names = (rows) => rows.map((entry) => entry.item);

  assert.deepEqual(names(sortedRows(state({ sort: 'count' }), COLUMNS)), ['Echo Show', 'Echo Dot', 'Kindle']);
  assert.deepEqual(names(sortedRows(state({ sort: 'count', dir: 'desc' }), COLUMNS)), ['Kindle', 'Echo Dot', 'Echo Show']);
  assert.deepEqual(names(sortedRows(state({ sort: 'name' }), COLUMNS)), ['Echo Dot', 'Echo Show', 'Kindle']);
});

test('the pager goes back from a later page or a cursor, and forward only with a next cursor', () => {
  assert.deepEqual(pager(state({})), { label: 'Page 1', hasPrevious: false, hasNext: false });
  assert.deepEqual(pager(state({ page: '2', cursor: 'c2' }, { nextCursor: 'c3' })), { label: 'Page 2', hasPrevious: true, hasNext: true });
  assert.deepEqual(pager(state({ cursor: 'c2' })).hasPrevious, true, 'a shared link into the middle can still go back');
});

test('an empty table tells filters that match nothing from an empty store', () => {
  assert.equal(emptyText(state({ q: 'echo' })), 'No items match these filters.');
  assert.equal(emptyText(state({ status: 'out' })), 'No items match these filters.');
  assert.equal(emptyText(state({})), 'This store has no items yet.');
});
