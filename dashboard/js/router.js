// Hash routing: "#/items?store=Berlin&status=low". The URL holds the view and its filters,
// so a view survives reload and can be shared.

/** The view and its params; a name not among `views` (app.js lists them) is the first view. */
export function parseHash(views, hash = window.location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const cut = raw.indexOf('?');
  const name = cut === -1 ? raw : raw.slice(0, cut);
  const params = Object.fromEntries(new URLSearchParams(cut === -1 ? '' : raw.slice(cut + 1)));
  return { view: views.includes(name) ? name : views[0], params };
}

export function buildHash(view, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return `#/${view}${text ? `?${text}` : ''}`;
}

/** Go to a view; replace=true changes the URL without a new history entry. */
export function navigate(view, params, { replace = false } = {}) {
  const hash = buildHash(view, params);
  if (hash === window.location.hash) return;
  if (replace) {
    window.history.replaceState(null, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = hash;
  }
}
