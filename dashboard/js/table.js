// A sortable data table used by the Items and Alerts views. The header is built once, so
// keyboard focus on a sort button survives data refreshes; only the body is replaced.
import { h, replace } from './dom.js';

const STATUS_ORDER = { out: 0, low: 1, ok: 2 };

export function compareBy(column, direction) {
  const sign = direction === 'desc' ? -1 : 1;
  return (a, b) => {
    const x = column.sortValue ? column.sortValue(a) : column.value(a);
    const y = column.sortValue ? column.sortValue(b) : column.value(b);
    // Empty values sort last in both directions.
    if (x === null || x === undefined || x === '') return y === null || y === undefined || y === '' ? 0 : 1;
    if (y === null || y === undefined || y === '') return -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: 'base' });
  };
}

export const statusSortValue = (row) => STATUS_ORDER[row.status] ?? 3;

/**
 * columns: [{key, header, value(row), render(row)?, numeric?, sortValue?}]
 * onSort(key, dir) is called when a header button is pressed: ascending, or descending when the
 * table is already sorted by that column ascending (as setSort last said); rowClass(row) names a row's class.
 * At phone width (CSS) each row becomes a card whose cells are labelled by data-label.
 */
export function dataTable({ caption, columns, onSort, label, rowClass }) {
  const buttons = new Map();
  let sorted = { key: null, dir: 'asc' };
  const headers = columns.map((column) => {
    const button = h(
      'button',
      { type: 'button', class: 'sort-button', 'data-sort': column.key },
      column.header,
      h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }),
    );
    button.addEventListener('click', () => onSort(column.key, sorted.key === column.key && sorted.dir !== 'desc' ? 'desc' : 'asc'));
    buttons.set(column.key, button);
    return h('th', { scope: 'col', class: column.numeric ? 'num' : null, 'data-column': column.key }, button);
  });
  const captionEl = h('caption', { class: 'visually-hidden' }, caption);
  const tbody = h('tbody');
  const table = h('table', { class: 'data-table' }, captionEl, h('thead', {}, h('tr', {}, headers)), tbody);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label || caption }, table);

  return {
    element: wrap,
    table,
    setSort(key, dir) {
      sorted = { key, dir };
      for (const th of headers) {
        const active = th.dataset.column === key;
        if (active) th.setAttribute('aria-sort', dir === 'desc' ? 'descending' : 'ascending');
        else th.removeAttribute('aria-sort');
        th.querySelector('.sort-arrow').textContent = active ? (dir === 'desc' ? ' ▼' : ' ▲') : '';
      }
    },
    setBusy(busy) {
      table.setAttribute('aria-busy', String(busy));
    },
    setRows(rows, emptyText) {
      if (!rows.length) {
        replace(tbody, h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty' }, emptyText)));
        return;
      }
      replace(
        tbody,
        rows.map((row) =>
          h(
            'tr',
            { class: rowClass ? rowClass(row) : row.status ? `row-${row.status}` : null },
            columns.map((column, index) => {
              const content = column.render ? column.render(row) : column.value(row);
              // data-label names the column on phones, where each row is shown as a card.
              const attrs = { class: column.numeric ? 'num' : null, 'data-column': column.key, 'data-label': column.header };
              return index === 0 ? h('th', { ...attrs, scope: 'row' }, content) : h('td', attrs, content);
            }),
          ),
        ),
      );
    },
  };
}
