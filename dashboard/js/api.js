// The dashboard API client: adds the ID token, retries once after a refresh on 401,
// and turns error bodies {"error":{status,code,message}} into ApiError. A 401 that a refresh
// cannot mend (or `session_revoked`: head office changed the account) ends the session.
import { SessionExpiredError } from './auth.js';

export { isAbort } from './latest.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Said on the sign-in page when the API ends a session that head office changed or ended. */
export const REVOKED_MESSAGE = 'You were signed out because head office changed or ended your access. Please sign in again.';

const STATUS_TEXT = {
  403: 'You do not have access to this store.',
  404: 'Not found.',
};

export class Api {
  constructor(config, auth) {
    this.base = config.apiUrl;
    this.auth = auth;
  }

  url(segments, query = {}) {
    const path = segments.map((part) => encodeURIComponent(part)).join('/');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const text = params.toString();
    return `${this.base}/${path}${text ? `?${text}` : ''}`;
  }

  async send(url, token, { method = 'GET', body, signal } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', signal });
    } catch (error) {
      if (error?.name === 'AbortError') throw error;
      throw new ApiError(0, 'network_error', 'The inventory service cannot be reached. Retrying on the next refresh.');
    }
  }

  /** The error code of a 401's body (`session_revoked`, `id_token_required`), or '' (API Gateway's own). */
  static async codeOf(response) {
    const data = await response.clone().json().catch(() => null);
    return data?.error?.code || '';
  }

  /**
   * Send a request. `signal` (AbortSignal) cancels it: a view that moved on aborts the answer it no
   * longer wants, and the promise rejects with an AbortError (see isAbort).
   */
  async request(segments, { query, method, body, signal } = {}) {
    const url = this.url(segments, query);
    let response = await this.send(url, await this.auth.idToken(), { method, body, signal });
    if (response.status === 401) {
      if ((await Api.codeOf(response)) === 'session_revoked') {
        // Head office changed or ended the account: a refreshed token would be refused as well.
        this.auth.clear();
        throw new SessionExpiredError(REVOKED_MESSAGE);
      }
      // The token may have expired early: renew once, then give up.
      response = await this.send(url, await this.auth.refresh(), { method, body, signal });
      if (response.status === 401) {
        const code = await Api.codeOf(response);
        this.auth.clear();
        throw new SessionExpiredError(code === 'session_revoked' ? REVOKED_MESSAGE : undefined);
      }
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = data?.error || {};
      const code = error.code || 'http_error';
      // A refusal of a store reads the same whatever the service says; other errors (and refusals
      // that explain themselves, such as a protocol for admins only) keep the service's message.
      const vague = response.status === 403 && (code === 'forbidden' || !error.message);
      const failure = new ApiError(
        response.status,
        code,
        vague ? STATUS_TEXT[403] : error.message || STATUS_TEXT[response.status] || `The request failed (HTTP ${response.status}).`,
      );
      // Seconds until a throttled request may be repeated (429); the API exposes the header to the page.
      failure.retryAfter = Number(response.headers.get('Retry-After')) || 0;
      throw failure;
    }
    return data;
  }

  get(segments, query, options = {}) {
    return this.request(segments, { query, ...options });
  }

  stores() {
    return this.get(['stores']);
  }

  items(store, { status, q, limit, cursor } = {}, options = {}) {
    return this.get(['stores', store, 'items'], { status, q, limit, cursor }, options);
  }

  alerts({ status } = {}, options = {}) {
    return this.get(['alerts'], { status }, options);
  }

  /** One item of a store with its `forecast` (null when not being used up); 404 when the store has no such item. */
  item(store, item, options = {}) {
    return this.get(['stores', store, 'items', item], {}, options);
  }

  history(store, item, { from, to } = {}, options = {}) {
    return this.get(['stores', store, 'items', item, 'history'], { from, to }, options);
  }

  /** Recent uploads (the uploads index), newest first; `key` gives one upload's versions with their reports. */
  uploads({ store, key, limit, cursor } = {}, options = {}) {
    return this.get(['uploads'], { store, key, limit, cursor }, options);
  }

  /** When each item of a store runs out: {store, items: [{item, count, rate_per_day, days_left, runs_out_at}]}. */
  storeForecast(store, options = {}) {
    return this.get(['stores', store, 'forecast'], {}, options);
  }

  /** Items of the caller's stores that run out within `withinDays`, soonest first. */
  forecast({ withinDays, limit } = {}, options = {}) {
    return this.get(['forecast'], { within_days: withinDays, limit }, options);
  }

  /** What the caller's stores (or one `store`) should order within the order cycle, soonest order-by first. */
  reorder(store, options = {}) {
    return this.get(store ? ['stores', store, 'reorder'] : ['reorder'], {}, options);
  }

  /** Head office: stock to move between stores, most urgent first. */
  transfers(options = {}) {
    return this.get(['transfers'], {}, options);
  }

  // -- alert subscriptions ---------------------------------------------------------------------

  /** The caller's subscriptions; admins: `all` (everyone's, paged) or one `username`'s. */
  subscriptions({ all, username, limit, cursor } = {}, options = {}) {
    return this.get(['subscriptions'], { all: all ? 'true' : undefined, username, limit, cursor }, options);
  }

  subscribe({ protocol, endpoint, stores, severities }) {
    return this.request(['subscriptions'], { method: 'POST', body: { protocol, endpoint, stores, severities } });
  }

  /** null when removed (204); the subscription (status `removing`) when SNS must wait for it (202). */
  unsubscribe(id) {
    return this.request(['subscriptions', id], { method: 'DELETE' });
  }

  /** Enter the code texted to a phone number: the number is then subscribed. */
  verifySubscription(id, code) {
    return this.request(['subscriptions', id, 'verify'], { method: 'POST', body: { code } });
  }

  /** Text a new code to a phone number awaiting one (the old code stops working). */
  resendCode(id) {
    return this.request(['subscriptions', id, 'code'], { method: 'POST' });
  }

  // -- people (head office) ----------------------------------------------------------------------

  users({ limit, cursor } = {}, options = {}) {
    return this.get(['users'], { limit, cursor }, options);
  }

  createUser({ username, email, stores, admin }) {
    return this.request(['users'], { method: 'POST', body: { username, email, stores, admin } });
  }

  setAccess(username, { stores, admin }) {
    return this.request(['users', username, 'access'], { method: 'PUT', body: { stores, admin } });
  }

  /** action: disable, enable or reset-password. */
  userAction(username, action, body) {
    return this.request(['users', username, action], { method: 'POST', body });
  }

  deleteUser(username) {
    return this.request(['users', username], { method: 'DELETE' });
  }

  /** A presigned POST for one file: {url, fields, key, expires_at, max_bytes}. store null: head office.
   * fullList: the file is the full list of its stores (the items it omits are retired); preview: a dry run
   * first (the file is held until it is confirmed). */
  uploadGrant(store, { filename, size, fullList = false, preview = false }) {
    const segments = store === null ? ['uploads'] : ['stores', store, 'uploads'];
    return this.request(segments, { method: 'POST', body: { filename, size, full_list: fullList, preview } });
  }

  /** Set a store's settings: fullList, every file of the store is read as its full list. Answers its summary. */
  storeSettings(store, { fullList }) {
    return this.request(['stores', store, 'settings'], { method: 'PUT', body: { full_list: fullList } });
  }

  /** decision: confirm or discard, of one held upload version. */
  decideUpload(decision, { key, version }) {
    return this.request(['uploads', decision], { method: 'POST', body: { key, version } });
  }

  /** The API's own OpenAPI document (fetched once: it says, for one, which severities exist). */
  openapi() {
    if (!this.document) {
      this.document = this.get(['openapi.json']);
      this.document.catch(() => {
        this.document = null;
      });
    }
    return this.document;
  }
}
