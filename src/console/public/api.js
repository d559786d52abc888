// The public API, as any other client uses it: a bearer key, JSON in and out, problem+json refusals.

const TOKEN = 'fund-ledger.console.key';

/** The key lives in this tab's session storage only, and nothing else is stored. */
export const session = {
  token: () => sessionStorage.getItem(TOKEN),
  signIn: (token) => sessionStorage.setItem(TOKEN, token),
  signOut: () => sessionStorage.removeItem(TOKEN),
};

/** A refusal from the API, with the field it concerns when the API names one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || 'http_error';
    this.problem = problem;
    this.field = fieldOf(problem);
  }
}

// Refusals about the day a write is dated: every form names that field `date`.
const DATE_CODES = new Set(['date_in_future', 'period_closed']);

/** The first field a problem names: a schema error's path, a `field` detail, or "field: …" in the detail. */
function fieldOf(problem) {
  if (DATE_CODES.has(problem.code) && problem.date) return 'date';
  const path = problem.errors?.[0]?.path;
  if (path && path !== '/') return path.split('/').filter(Boolean)[0];
  if (typeof problem.field === 'string') return problem.field.split(/[.[]/)[0];
  const named = /^([a-zA-Z]+)(?:\[\d+\])?(?:\.[a-zA-Z]+)?:/.exec(problem.detail || '');
  return named ? named[1] : null;
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') params.set(k, v);
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

async function request(method, path, { query, body, idempotencyKey, raw } = {}) {
  const headers = { authorization: `Bearer ${session.token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Every write carries a key: a double click or a retry after a lost answer books nothing twice. Except
  // issuing an API key (idempotencyKey: false): its answer holds the token, which is never stored to replay.
  if (method !== 'GET' && idempotencyKey !== false) headers['idempotency-key'] = idempotencyKey || crypto.randomUUID();
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: 'network_error', detail: '无法连接服务，请检查网络后重试。' });
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
  if (!response.ok) {
    let problem = { code: 'http_error', detail: `HTTP ${response.status}` };
    try {
      problem = await response.json();
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body, options = {}) => request('POST', path, { body, ...options }),
  patch: (path, body, options = {}) => request('PATCH', path, { body, ...options }),
  put: (path, body, options = {}) => request('PUT', path, { body, ...options }),
  delete: (path, options = {}) => request('DELETE', path, options),
  /**
   * Every page of a list, following nextCursor: for lists a page needs whole (villages, funds, a batch's
   * lines — at most 6,000 households). Refuses rather than return part of a longer list.
   */
  async all(path, query = {}, max = 10_000) {
    const items = [];
    let cursor;
    do {
      const page = await request('GET', path, { query: { ...query, limit: 500, cursor } });
      items.push(...page.items);
      cursor = page.nextCursor;
      if (cursor && items.length >= max) {
        throw new ApiError(0, { code: 'too_many', detail: `列表超过 ${max} 条，无法在页面中完整显示，请缩小范围（例如按村查询）。` });
      }
    } while (cursor);
    return items;
  },
  /**
   * Sends a file as the body (a CSV import), reporting the upload's progress as onProgress(sent, total):
   * fetch cannot, so this one request goes by XMLHttpRequest, with the same key, refusals and 401 handling.
   */
  upload(path, file, { contentType, idempotencyKey, onProgress } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('authorization', `Bearer ${session.token()}`);
      xhr.setRequestHeader('content-type', contentType);
      xhr.setRequestHeader('idempotency-key', idempotencyKey || crypto.randomUUID());
      xhr.upload.onprogress = (event) => onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
      xhr.onerror = () => reject(new ApiError(0, { code: 'network_error', detail: '无法连接服务，请检查网络后重试。' }));
      xhr.onload = () => {
        let body = null;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          body = null;
        }
        if (xhr.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body ?? { code: 'http_error', detail: `HTTP ${xhr.status}` }));
      };
      xhr.send(file);
    });
  },
  /** Downloads a file the API answers (a statement's PDF or CSV) under `filename`. */
  async download(path, query, filename) {
    const response = await request('GET', path, { query, raw: true });
    const blob = await response.blob();
    const href = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement('a'), { href, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  },
};
