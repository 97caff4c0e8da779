// Sending a file the way the API's upload grant allows: checks in the page first, then a
// presigned POST straight to S3 (XMLHttpRequest, for upload progress events), then waiting for
// ingest's report. No DOM here beyond parsing S3's XML error bodies.

export const UPLOAD_EXTENSIONS = ['.csv', '.json', '.jsonl', '.xlsx'];
// Final for the page: nothing more happens without a person (a held file waits for its uploader).
export const FINAL_STATUSES = ['ok', 'partial', 'failed', 'needs_confirmation', 'discarded', 'undone'];

export class UploadError extends Error {}

/** "12.5 MB", "830 KB", "12 bytes". */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? Math.round(mb * 10) / 10 : Math.round(mb)} MB`;
}

/** The extension the file name ends with, lower-cased ('' when none). */
export function extensionOf(name) {
  const match = /\.[^./\\]+$/.exec(String(name || ''));
  return match ? match[0].toLowerCase() : '';
}

/**
 * Why this file cannot be sent, or null when it can. maxBytes may be unknown (null) before the
 * grant: the size is checked again against the grant's max_bytes.
 */
export function checkFile(file, maxBytes = null) {
  if (!file) return 'Choose a file to upload.';
  if (!String(file.name || '').trim()) return 'The file has no name.';
  if (!UPLOAD_EXTENSIONS.includes(extensionOf(file.name))) {
    return `“${file.name}” is not a file the inventory can read: use ${UPLOAD_EXTENSIONS.join(', ')} (any case).`;
  }
  if (!file.size) return `“${file.name}” is empty.`;
  if (typeof maxBytes === 'number' && file.size > maxBytes) {
    return `“${file.name}” is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}. Split it into smaller files.`;
  }
  return null;
}

/** A readable message from S3's XML error body. */
export function s3ErrorMessage(status, body) {
  let code = '';
  let message = '';
  try {
    const xml = new DOMParser().parseFromString(body || '', 'application/xml');
    code = xml.querySelector('Code')?.textContent || '';
    message = xml.querySelector('Message')?.textContent || '';
  } catch {
    // not XML: fall through to the status
  }
  if (code === 'EntityTooLarge') return 'The file is larger than the upload permission allows.';
  if (/expired/i.test(message)) return 'The upload permission expired before the file was sent. Upload it again.';
  if (code === 'AccessDenied') return 'The storage service refused the file (the upload permission does not match it). Upload it again.';
  return `The storage service refused the file (HTTP ${status}${code ? `, ${code}` : ''}${message ? `: ${message}` : ''}).`;
}

/**
 * POST the file to S3 with the grant's signed fields. onProgress(sent, total) follows the upload.
 * Resolves when S3 has stored it; rejects with UploadError. signal (AbortSignal) cancels.
 */
export function postToS3(grant, file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    // The policy's fields first, the file last: S3 ignores anything after the file.
    for (const [name, value] of Object.entries(grant.fields || {})) form.append(name, value);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', grant.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (onProgress) onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new UploadError(s3ErrorMessage(xhr.status, xhr.responseText)));
    });
    xhr.addEventListener('error', () => reject(new UploadError('The file could not be sent: the storage service cannot be reached. Check your connection and try again.')));
    xhr.addEventListener('abort', () => reject(new UploadError('The upload was cancelled.')));
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** Seconds to wait before the next look for the report: quick at first, then slower. */
export function pollDelayMs(attempt) {
  if (attempt < 10) return 1000;
  if (attempt < 30) return 2000;
  return 5000;
}

/**
 * The newest version of one upload from GET /uploads?key= ({uploads, report}), or null before ingest
 * indexed it. The index row lists the first rejected lines; the whole report, once written, lists more.
 */
export function newestEntry(body) {
  const entry = body?.uploads?.[0] || null;
  if (!entry) return null;
  const report = body.report;
  if (!report) return entry;
  return {
    ...entry,
    status: report.status ?? entry.status,
    reason: report.reason ?? entry.reason,
    rows: report.rows || entry.rows,
    errors: report.errors || entry.errors,
    errors_truncated: report.errors_truncated ?? entry.errors_truncated,
    plan: report.plan ?? entry.plan ?? null,
  };
}
