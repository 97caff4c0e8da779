// Hash routing (dashboard/js/router.js), run by node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildHash, parseHash } from '../../../../dashboard/js/router.js';

const VIEWS = ['overview', 'items', 'item'];

test('a hash names one of the views and its params, and round-trips through buildHash', () => {
  const hash = buildHash('item', { store: 'Café / 1', item: 'Echo & Dot', range: '' });

  assert.deepEqual(parseHash(VIEWS, hash), { view: 'item', params: { store: 'Café / 1', item: 'Echo & Dot' } });
});

test('no view, or one the app does not list, is the first view', () => {
  assert.deepEqual(parseHash(VIEWS, ''), { view: 'overview', params: {} });
  assert.deepEqual(parseHash(VIEWS, '#/order?store=Berlin'), { view: 'overview', params: { store: 'Berlin' } });
});
