// Auto-refresh every 30 s (pausable) and the visible "updated N s ago".

export const REFRESH_INTERVAL_MS = 30_000;

export class AutoRefresh {
  constructor({ onRefresh, statusEl, toggleEl }) {
    this.onRefresh = onRefresh;
    this.statusEl = statusEl;
    this.toggleEl = toggleEl;
    this.paused = sessionStorage.getItem('inventory.paused') === '1';
    this.lastUpdated = null;
    this.lastAttempt = null;
    this.running = false;
    this.failed = false;
    this.tick = this.tick.bind(this);
    this.toggleEl.addEventListener('click', () => this.setPaused(!this.paused));
    this.timer = setInterval(this.tick, 1000);
    this.render();
  }

  setPaused(paused) {
    this.paused = paused;
    sessionStorage.setItem('inventory.paused', paused ? '1' : '0');
    this.render();
  }

  markUpdated(ok = true) {
    this.failed = !ok;
    this.lastAttempt = Date.now();
    if (ok) this.lastUpdated = Date.now();
    this.render();
  }

  async refreshNow() {
    if (this.running) return;
    this.running = true;
    this.render();
    try {
      await this.onRefresh();
    } finally {
      this.running = false;
      this.render();
    }
  }

  tick() {
    const due = this.lastAttempt !== null && Date.now() - this.lastAttempt >= REFRESH_INTERVAL_MS;
    if (!this.paused && due && !this.running && !document.hidden) this.refreshNow();
    this.render();
  }

  render() {
    this.toggleEl.setAttribute('aria-pressed', String(this.paused));
    this.toggleEl.textContent = this.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    let text;
    if (this.running) text = 'Updating…';
    else if (this.lastUpdated === null) text = 'Not updated yet';
    else text = `Updated ${Math.max(0, Math.round((Date.now() - this.lastUpdated) / 1000))} s ago`;
    if (this.failed) text += ' (last refresh failed)';
    if (this.paused) text += ' · paused';
    this.statusEl.textContent = text;
  }

  stop() {
    clearInterval(this.timer);
  }
}
