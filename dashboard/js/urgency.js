// What to do next: items and stores in the order they need attention. Pure functions (no DOM),
// so they are tested on their own (tests/unit/dashboard_site/js).

export const DEFAULT_STALE_HOURS = 48;

/** Days of cover when a forecast knows them, else null. */
export function daysLeft(item) {
  const value = item?.days_left;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Whether an item runs out soon: its forecast gives at most `soonDays` of cover. `soonDays` is
 * config.json's, the alerts stack's soonDays: an item neither out nor low is "soon" here exactly
 * when the digests announce it as soon.
 */
export function runsOutSoon(item, { soonDays }) {
  if (!(soonDays > 0)) throw new TypeError(`soonDays must be a number of days above 0, got ${soonDays}`);
  const days = daysLeft(item);
  return days !== null && days <= soonDays;
}

/**
 * The urgency group of an item: 0 out of stock, 1 runs out within `soonDays` (when a forecast
 * gives days_left), 2 low, 3 the rest.
 */
export function urgencyGroup(item, { soonDays }) {
  if (item.status === 'out' || item.count <= 0) return 0;
  if (runsOutSoon(item, { soonDays })) return 1;
  if (item.status === 'low') return 2;
  return 3;
}

/** How close to its low-stock level an item is (count / threshold); the count when the level is unknown. */
function coverRatio(item, lowStockDefault) {
  const threshold = item.threshold ?? lowStockDefault;
  return typeof threshold === 'number' && threshold > 0 ? item.count / threshold : item.count;
}

const byName = (a, b) => String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });

/**
 * Items most urgent first: out of stock (by name), then soonest to run out (fewest days left),
 * then low (closest to empty relative to the low-stock level), then the rest (items with a
 * forecast soonest first, then by cover). Returns a new array.
 */
export function byUrgency(items, { soonDays, lowStockDefault = null }) {
  const keyed = items.map((item) => ({ item, group: urgencyGroup(item, { soonDays }), days: daysLeft(item), cover: coverRatio(item, lowStockDefault) }));
  keyed.sort((a, b) => {
    if (a.group !== b.group) return a.group - b.group;
    if (a.group !== 0) {
      if (a.days !== null || b.days !== null) {
        if (a.days === null) return 1;
        if (b.days === null) return -1;
        if (a.days !== b.days) return a.days - b.days;
      }
      if (a.cover !== b.cover) return a.cover - b.cover;
    }
    return byName(a.item.item, b.item.item);
  });
  return keyed.map((entry) => entry.item);
}

/** The time of a store's last upload in ms, or null when none is recorded. */
export function lastUploadTime(store) {
  const time = store?.last_upload_at ? Date.parse(store.last_upload_at) : Number.NaN;
  return Number.isNaN(time) ? null : time;
}

/** A store is stale when no upload arrived within `hours` (or none was ever recorded). */
export function isStale(store, { hours = DEFAULT_STALE_HOURS, now = Date.now() } = {}) {
  const time = lastUploadTime(store);
  return time === null || now - time > hours * 3600_000;
}

/** Stores worst first: most items out, then most low, then stale before fresh, then by name. */
export function worstFirst(stores, { hours = DEFAULT_STALE_HOURS, now = Date.now() } = {}) {
  const keyed = stores.map((store) => ({ store, stale: isStale(store, { hours, now }) }));
  keyed.sort((a, b) => (b.store.out || 0) - (a.store.out || 0)
    || (b.store.low || 0) - (a.store.low || 0)
    || Number(b.stale) - Number(a.stale)
    || byName(a.store.store, b.store.store));
  return keyed.map((entry) => entry.store);
}

/** Totals across stores for head office. */
export function totals(stores, { hours = DEFAULT_STALE_HOURS, now = Date.now() } = {}) {
  const sum = { stores: stores.length, items: 0, out: 0, low: 0, storesOut: 0, stale: 0 };
  for (const store of stores) {
    sum.items += store.items || 0;
    sum.out += store.out || 0;
    sum.low += store.low || 0;
    if (store.out) sum.storesOut += 1;
    if (isStale(store, { hours, now })) sum.stale += 1;
  }
  return sum;
}
