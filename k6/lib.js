// Shared by stampede.js, stale.js and steady.js. Mirrors the .NET runner (loadtests/Ranking.Gateway.LoadTests):
// the same URLs, the same Zipf sampler and per-request random numbers, the same origin-query counting.
import http from 'k6/http';
import { sleep } from 'k6';

export const LIMIT = int('LIMIT', 100);
if (LIMIT > 100) {
  throw new Error(`LIMIT=${LIMIT}: the gateway answers 1..100`);
}

// The Prometheus exporter caches a scrape for 300 ms: reads closer together can repeat an old answer.
const SCRAPE_CACHE_SECONDS = 0.4;

/**
 * Gateway instances: BASE_URLS (comma-separated) or BASE_URL; load is spread over them round-robin. List every
 * instance itself, not a load balancer in front of them: the origin queries are counted from each URL's /metrics,
 * and a balancer's /metrics is a different instance on every scrape.
 */
export function baseUrls() {
  const raw = __ENV.BASE_URLS || __ENV.BASE_URL || 'http://localhost:8080';
  const urls = raw.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u.length > 0);
  if (urls.length === 0) {
    throw new Error('set BASE_URL (or BASE_URLS=url1,url2) to the gateway');
  }
  return urls;
}

/** A positive number from the environment (durations, ratios). */
export function num(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name}=${raw} is not a positive number`);
  }
  return value;
}

/** A positive whole number from the environment (k6 rejects fractions for vus, iterations and rate). */
export function int(name, fallback) {
  const value = num(name, fallback);
  if (!Number.isInteger(value)) {
    throw new Error(`${name}=${__ENV[name]} is not a whole number`);
  }
  return value;
}

export function rankingUrl(base, group) {
  return `${base}/ranking/${group}?limit=${LIMIT}`;
}

/** GROUP, else a random one of g2..gN (g1 is the runner's hit-baseline group). */
export function pickGroup(groups) {
  return __ENV.GROUP || `g${groups < 2 ? 1 : 2 + Math.floor(Math.random() * (groups - 1))}`;
}

/**
 * Sum over the instances of gateway_origin_queries_total{policy="ranking"} (all outcomes). The counter is the
 * whole instance's, not this run's: every request anybody else sends meanwhile is counted too.
 */
export function originQueries(urls) {
  return metricSum(urls, 'gateway_origin_queries_total', ['policy="ranking"']);
}

/** Sum over the instances of the ranking answers with X-Cache-Status `status` (gateway_cache_answers_total). */
export function cacheAnswers(urls, status) {
  return metricSum(urls, 'gateway_cache_answers_total', ['policy="ranking"', `status="${status}"`]);
}

/**
 * The background refresh modes the instances run (CompetingLocks, Queue): they recompute groups without reads, so
 * the origin-query counter moves on its own. Such an instance publishes gateway_refresh_groups_total{mode=…} from
 * start-up; a Lazy or Early one does not. Empty when every instance refreshes on reads only.
 */
export function backgroundModes(urls) {
  const modes = new Set();
  for (const base of urls) {
    for (const line of scrape(base)) {
      const mode = /^gateway_refresh_groups_total\{.*mode="([^"]+)"/.exec(line);
      if (mode) {
        modes.add(mode[1]);
      }
    }
  }
  return [...modes];
}

function metricSum(urls, name, labels) {
  let sum = 0;
  for (const base of urls) {
    for (const line of scrape(base)) {
      if (line.startsWith(`${name}{`) && labels.every((l) => line.includes(l))) {
        const value = Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
        if (!Number.isFinite(value)) {
          throw new Error(`${base}/metrics: cannot read "${line}"`);
        }
        sum += value;
      }
    }
  }
  return sum;
}

function scrape(base) {
  const res = http.get(`${base}/metrics`, { tags: { name: 'metrics' } });
  if (res.status !== 200) {
    throw new Error(`${base}/metrics answered ${res.status}`);
  }
  return String(res.body).split('\n');
}

/**
 * Reads the origin-query counter until it can be trusted: `inFlightMs` has passed since the call (origin
 * queries already running when it was called finish within it), at least `atLeast` queries have landed since
 * `since` (or `timeoutSeconds` passed), and two reads a scrape-cache period apart agree.
 * Returns { count, settled }; settled is false when the counter was still moving at the deadline.
 */
export function settledOriginQueries(urls, { since = null, atLeast = 0, inFlightMs = 0, timeoutSeconds = 10 } = {}) {
  const started = Date.now();
  const deadline = started + Math.max(timeoutSeconds * 1000, inFlightMs + 2000);
  let previous = null;
  for (;;) {
    sleep(SCRAPE_CACHE_SECONDS);
    const at = Date.now();
    const count = originQueries(urls);
    const agrees = previous !== null && previous.count === count;
    // The earlier of the two agreeing reads must itself show the counter after the in-flight queries landed.
    const afterInFlight = previous !== null && previous.at - started >= inFlightMs + SCRAPE_CACHE_SECONDS * 1000;
    const enough = since === null || count - since >= atLeast;
    if (agrees && afterInFlight && enough) {
      return { count, settled: true };
    }
    if (at >= deadline) {
      return { count, settled: agrees };
    }
    previous = { count, at };
  }
}

/** How long an origin query that is already running may still take: twice the latency seen, at least 1 s. */
export function inFlightBound(originMs) {
  return Math.max(1000, 2 * originMs);
}

/**
 * When the entry behind a ranking answer stops being fresh, as local times { earliest, latest } in ms, and its
 * whole fresh window (freshSeconds), from the answer's own headers (no clock shared with the gateway needed):
 * Cache-Control max-age is the entry's fresh window and Age its age when answered, both whole seconds rounded
 * down, and the gateway answered between `sentAt` and `receivedAt`.
 */
export function freshUntil(res, sentAt, receivedAt) {
  const maxAge = /max-age=(\d+)/.exec(res.headers['Cache-Control'] || '');
  const age = Number(res.headers['Age']);
  if (!maxAge || res.headers['Age'] === undefined || !Number.isInteger(age)) {
    throw new Error(`${res.url}: no Cache-Control max-age or Age in the answer`);
  }
  const left = (Number(maxAge[1]) - age) * 1000;
  return { earliest: sentAt + left - 1000, latest: receivedAt + left + 1000, freshSeconds: Number(maxAge[1]) };
}

/** Uniform in [0, 1) for request number n of a seeded run: mulberry32, as RequestRandom.cs. */
export function requestRandom(seed, n) {
  let a = (Math.imul(seed, 0x9e3779b1) + n + 0x6d2b79f5) | 0;
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Group numbers 1..n with P(k) proportional to 1/k^s, as ZipfSampler.cs: binary search in the cumulative distribution. */
export function zipfSampler(n, s) {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / Math.pow(k, s);
    cumulative[k - 1] = sum;
  }
  for (let i = 0; i < n; i++) {
    cumulative[i] /= sum;
  }
  return (u) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo + 1;
  };
}
