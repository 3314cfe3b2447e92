// Shared by stampede.js, stale.js and steady.js. Mirrors the .NET runner (loadtests/Ranking.Gateway.LoadTests):
// the same URLs, the same Zipf sampler and per-request random numbers, the same origin-query counting.
import http from 'k6/http';
import { sleep } from 'k6';

export const LIMIT = num('LIMIT', 100);

/** Gateway instances: BASE_URLS (comma-separated) or BASE_URL; load is spread over them round-robin. */
export function baseUrls() {
  const raw = __ENV.BASE_URLS || __ENV.BASE_URL || 'http://localhost:8080';
  const urls = raw.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u.length > 0);
  if (urls.length === 0) {
    throw new Error('set BASE_URL (or BASE_URLS=url1,url2) to the gateway');
  }
  return urls;
}

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

export function rankingUrl(base, group) {
  return `${base}/ranking/${group}?limit=${LIMIT}`;
}

/** GROUP, else a random one of g2..gN (g1 is the runner's hit-baseline group). */
export function pickGroup(groups) {
  return __ENV.GROUP || `g${groups < 2 ? 1 : 2 + Math.floor(Math.random() * (groups - 1))}`;
}

/** Sum over the instances of gateway_origin_queries_total{policy="ranking"} (all outcomes). */
export function originQueries(urls) {
  let sum = 0;
  for (const base of urls) {
    const res = http.get(`${base}/metrics`, { tags: { name: 'metrics' } });
    if (res.status !== 200) {
      throw new Error(`${base}/metrics answered ${res.status}`);
    }
    for (const line of String(res.body).split('\n')) {
      if (line.startsWith('gateway_origin_queries_total{') && line.includes('policy="ranking"')) {
        sum += Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
      }
    }
  }
  return sum;
}

/**
 * Reads the counter until it has moved by at least `atLeast` since `before` (null: no minimum) and two reads
 * 400 ms apart agree (the Prometheus exporter caches a scrape for 300 ms), so background refreshes that are
 * still running are counted.
 */
export function settledOriginQueries(urls, before, atLeast, timeoutSeconds) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  sleep(0.4);
  let last = originQueries(urls);
  while (Date.now() < deadline) {
    sleep(0.4);
    const next = originQueries(urls);
    if ((before === null || next - before >= atLeast) && next === last) {
      return next;
    }
    last = next;
  }
  return last;
}

/** When the entry a ranking answer came from goes stale: generatedAt + max-age (whole seconds, floored) + 1 s. */
export function staleAt(res) {
  const generatedAt = Date.parse(JSON.parse(res.body).generatedAt);
  const match = /max-age=(\d+)/.exec(res.headers['Cache-Control'] || '');
  return generatedAt + (match ? Number(match[1]) : 0) * 1000 + 1000;
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
