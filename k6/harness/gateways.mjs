// What the harness itself sees of the gateways, independently of the scripts: their counters and when an
// answer's entry stops being fresh.

// The Prometheus exporter caches a scrape for 300 ms.
const SCRAPE_CACHE_MS = 400;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the local clock reaches `at` (ms since the epoch). */
export async function waitUntil(at) {
  const wait = at - Date.now();
  if (wait > 0) {
    await delay(wait);
  }
}

/** Reads a URL; `io` is the runner's I/O thread while a script runs (it works while the main thread is blocked). */
export async function read(url, io = null) {
  const sentAt = Date.now();
  const answer = io === null ? await fetchText(url) : await io.get(url);
  return { ...answer, sentAt, receivedAt: Date.now() };
}

async function fetchText(url) {
  const res = await fetch(url);
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

function header(answer, name) {
  const entry = Object.entries(answer.headers).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return entry?.[1];
}

export function cacheStatus(answer) {
  return header(answer, 'X-Cache-Status');
}

/**
 * When the entry behind an answer is surely stale (`staleBy`) and until when it is surely still usable as
 * stale (`usableUntil`), from Cache-Control max-age / stale-while-revalidate and Age (whole seconds, floored).
 */
export function entryWindow(answer) {
  const cacheControl = header(answer, 'Cache-Control') ?? '';
  const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
  const swr = Number(/stale-while-revalidate=(\d+)/.exec(cacheControl)?.[1]);
  const age = Number(header(answer, 'Age'));
  if (![maxAge, swr, age].every(Number.isInteger)) {
    throw new Error(`no max-age, stale-while-revalidate or Age in an answer (Cache-Control: ${cacheControl})`);
  }
  return {
    staleBy: answer.receivedAt + (maxAge - age + 1) * 1000,
    usableUntil: answer.sentAt + (maxAge + swr - age - 1) * 1000,
  };
}

/**
 * The gateways' counters: origin queries, answers by X-Cache-Status and background refreshes by outcome, per
 * instance (`instances`) and summed.
 */
export async function counters(urls) {
  await delay(SCRAPE_CACHE_MS);
  const instances = [];
  for (const base of urls) {
    const instance = { origin: 0, answers: {}, revalidations: {} };
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match = /^(gateway_origin_queries_total|gateway_cache_answers_total|gateway_cache_revalidations_total)\{([^}]*)\}\s+(\S+)/.exec(line);
      if (match === null || !match[2].includes('policy="ranking"')) {
        continue;
      }
      const value = Number(match[3]);
      if (match[1] === 'gateway_origin_queries_total') {
        instance.origin += value;
      } else {
        const key = /(?:status|outcome)="([^"]+)"/.exec(match[2])[1];
        const bucket = match[1] === 'gateway_cache_answers_total' ? instance.answers : instance.revalidations;
        bucket[key] = (bucket[key] ?? 0) + value;
      }
    }
    instances.push(instance);
  }
  return { ...instances.reduce(add), instances };
}

/**
 * Reads the counters until two reads agree; before that, until every instance that has answered STALE since
 * `since` has finished a background refresh (each STALE answer starts one, unless one is running), so that
 * refreshes still running are counted.
 */
export async function settledCounters(urls, { since = null, timeoutMs = 20_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    const next = await counters(urls);
    const refreshing = since !== null && difference(next, since).instances.some((d) => d.answers.STALE > 0 && sum(d.revalidations) === 0);
    if (!refreshing && last !== null && JSON.stringify(next) === JSON.stringify(last)) {
      return next;
    }
    if (Date.now() > deadline) {
      throw new Error(`the gateways' counters did not settle within ${timeoutMs / 1000} s: ${refreshing ? 'a refresh never finished' : 'something else is using them'}`);
    }
    last = next;
  }
}

/** after − before, with every answer status present, per instance too. */
export function difference(after, before) {
  const one = (a, b) => ({
    origin: a.origin - b.origin,
    answers: subtract(a.answers, b.answers, ['MISS', 'FRESH', 'STALE', 'BYPASS']),
    revalidations: subtract(a.revalidations, b.revalidations, []),
  });
  return { ...one(after, before), instances: after.instances.map((a, i) => one(a, before.instances[i])) };
}

function subtract(a, b, always) {
  return Object.fromEntries([...new Set([...always, ...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]));
}

function add(a, b) {
  const merge = (x, y) => Object.fromEntries([...new Set([...Object.keys(x), ...Object.keys(y)])].map((k) => [k, (x[k] ?? 0) + (y[k] ?? 0)]));
  return { origin: a.origin + b.origin, answers: merge(a.answers, b.answers), revalidations: merge(a.revalidations, b.revalidations) };
}

function sum(values) {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

export function describe(d) {
  const answers = Object.entries(d.answers).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  return `${d.origin} origin quer${d.origin === 1 ? 'y' : 'ies'}, answers: ${answers}`;
}
