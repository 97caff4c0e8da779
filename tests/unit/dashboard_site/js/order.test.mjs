// The Order view's grouping of orders (dashboard/js/views/order.js), run by node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { groupOrders } from '../../../../dashboard/js/views/order.js';

const order = (store, item, supplier, orderBy) => ({ store, item, supplier, order_by: orderBy, quantity: 12, pack_size: 12 });

test('orders group by store, then supplier by name with "no supplier" last, keeping their order within', () => {
  const rows = [
    order('Seville', 'Echo Dot', 'Amazon EU', '2026-12-07T10:00:00.000Z'),
    order('Lisbon', 'Cable', null, '2026-12-07T11:00:00.000Z'),
    order('Seville', 'Cable', 'Nordic', '2026-12-07T12:00:00.000Z'),
    order('Lisbon', 'Kindle', 'Kindle Direct', '2026-12-08T10:00:00.000Z'),
    order('Seville', 'Echo Show', 'Amazon EU', '2026-12-09T10:00:00.000Z'),
  ];

  const groups = groupOrders(rows);

  assert.deepEqual(
    groups.map((group) => [group.store, group.suppliers.map((s) => [s.supplier, s.items.map((row) => row.item)])]),
    [
      ['Lisbon', [['Kindle Direct', ['Kindle']], ['', ['Cable']]]],
      ['Seville', [['Amazon EU', ['Echo Dot', 'Echo Show']], ['Nordic', ['Cable']]]],
    ],
  );
});
