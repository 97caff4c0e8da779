// Formatting of times and numbers for display.

const numberFormat = new Intl.NumberFormat();

export function formatCount(value) {
  return value === null || value === undefined ? '' : numberFormat.format(value);
}

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "5 min ago", with the absolute time for a tooltip / title. */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return 'never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return formatTime(iso);
}

/** A <time> element's datetime attribute value (or nothing for a bad value). */
export function isoOrNull(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A rate of use per day, with as many decimals as a small one needs: "12", "2.5", "0.25". */
export function formatRate(perDay) {
  if (typeof perDay !== 'number' || !Number.isFinite(perDay)) return '';
  const digits = perDay >= 10 ? 0 : perDay >= 1 ? 1 : 2;
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(perDay);
}
