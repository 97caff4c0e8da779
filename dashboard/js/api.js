// The dashboard API client: adds the ID token, retries once after a refresh on 401,
// and turns error bodies {"error":{status,code,message}} into ApiError.
import { SessionExpiredError } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

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

  async send(url, token, { method = 'GET', body } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'network_error', 'The inventory service cannot be reached. Retrying on the next refresh.');
    }
  }

  async request(segments, { query, method, body } = {}) {
    const url = this.url(segments, query);
    let response = await this.send(url, await this.auth.idToken(), { method, body });
    if (response.status === 401) {
      // The token may have been revoked or expired early: renew once, then give up.
      response = await this.send(url, await this.auth.refresh(), { method, body });
      if (response.status === 401) {
        this.auth.clear();
        throw new SessionExpiredError();
      }
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data?.error || {};
      throw new ApiError(
        response.status,
        error.code || 'http_error',
        // A refusal reads the same whatever the service says; other errors keep the service's message.
        response.status === 403
          ? STATUS_TEXT[403]
          : error.message || STATUS_TEXT[response.status] || `The request failed (HTTP ${response.status}).`,
      );
    }
    return data;
  }

  get(segments, query) {
    return this.request(segments, { query });
  }

  stores() {
    return this.get(['stores']);
  }

  items(store, { status, q, limit, cursor } = {}) {
    return this.get(['stores', store, 'items'], { status, q, limit, cursor });
  }

  alerts({ status } = {}) {
    return this.get(['alerts'], { status });
  }

  history(store, item, { from, to } = {}) {
    return this.get(['stores', store, 'items', item, 'history'], { from, to });
  }

  /** Recent uploads (the uploads index), newest first; `key` gives one upload's versions with their reports. */
  uploads({ store, key, limit, cursor } = {}) {
    return this.get(['uploads'], { store, key, limit, cursor });
  }

  /** A presigned POST for one file: {url, fields, key, expires_at, max_bytes}. store null: head office. */
  uploadGrant(store, { filename, size }) {
    const segments = store === null ? ['uploads'] : ['stores', store, 'uploads'];
    return this.request(segments, { method: 'POST', body: { filename, size } });
  }

  /** The API's own OpenAPI document. */
  openapi() {
    return this.get(['openapi.json']);
  }
}
