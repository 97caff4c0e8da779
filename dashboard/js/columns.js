// Table columns that several views show the same way: item (a link to its history), count,
// status and threshold. Each view adds its own columns around them.
import { h, statusBadge } from './dom.js';
import { formatCount } from './format.js';
import { buildHash } from './router.js';
import { statusSortValue } from './table.js';

export const itemColumn = {
  key: 'item',
  header: 'Item',
  value: (row) => row.item,
  render: (row) => h('a', { href: buildHash('item', { store: row.store, item: row.item }) }, row.item),
};

export const countColumn = {
  key: 'count',
  header: 'Count',
  numeric: true,
  value: (row) => row.count,
  render: (row) => formatCount(row.count),
};

export const statusColumn = {
  key: 'status',
  header: 'Status',
  value: (row) => row.status,
  sortValue: statusSortValue,
  render: (row) => statusBadge(row.status),
};

export const thresholdColumn = {
  key: 'threshold',
  header: 'Low at',
  numeric: true,
  value: (row) => row.threshold,
  render: (row) =>
    row.threshold === null || row.threshold === undefined ? h('span', { class: 'muted' }, 'default') : formatCount(row.threshold),
};
