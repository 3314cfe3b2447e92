// The part of 'k6/http' the scripts use: get, request and batch (array form), answered synchronously through
// the I/O thread, recording http_reqs, http_req_duration and http_req_failed like k6 (tag `name` defaults
// to the URL; a status outside 200..399 or no answer at all is a failed request).
// Unlike k6, http_req_duration here includes connecting, when a request opens a new connection.
import { record, sendSync } from '../runtime.mjs';

const DEFAULT_TIMEOUT_MS = 60_000;

function toRequest(method, url, body, params = {}) {
  const timeout = params.timeout ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'number') {
    throw new Error('the harness shim takes params.timeout in milliseconds only');
  }
  return { method: method.toUpperCase(), url: String(url), body: body ?? null, headers: params.headers ?? {}, timeoutMs: timeout, tags: params.tags ?? {} };
}

function toResponse(request, answer) {
  const tags = { name: request.url, url: request.url, method: request.method, status: String(answer.status), ...request.tags };
  record('http_reqs', 1, tags);
  record('http_req_duration', answer.duration, tags);
  record('http_req_failed', answer.status >= 200 && answer.status < 400 ? 0 : 1, tags);
  if (answer.error) {
    console.warn(`request failed: ${request.method} ${request.url}: ${answer.error}`);
  }
  return {
    url: answer.url,
    status: answer.status,
    headers: answer.headers,
    body: answer.body,
    error: answer.error ?? '',
    timings: { duration: answer.duration },
    request: { method: request.method, url: request.url },
  };
}

export function request(method, url, body, params) {
  const req = toRequest(method, url, body, params);
  const [answer] = sendSync([req]);
  return toResponse(req, answer);
}

export function get(url, params) {
  return request('GET', url, null, params);
}

/** Sends every request at once and returns the answers in order. */
export function batch(requests) {
  if (!Array.isArray(requests)) {
    throw new Error('the harness shim supports http.batch with an array only');
  }
  const reqs = requests.map((r) => {
    if (typeof r === 'string') {
      return toRequest('GET', r);
    }
    return Array.isArray(r) ? toRequest(r[0], r[1], r[2], r[3]) : toRequest(r.method ?? 'GET', r.url, r.body, r.params);
  });
  return sendSync(reqs).map((answer, i) => toResponse(reqs[i], answer));
}

export default { request, get, batch };
