// Stale stampede: the group is read once (the cache now holds it), then, once its entry has gone stale, CLIENTS
// virtual users ask for it at the same moment. Passing: every answer is 200 and none is a MISS (all served
// from the stale copy, or fresh once the refresh landed), the STALE answers' p99 is at most a tenth of the
// origin's latency (ORIGIN_MS; start the gateway with a slow origin to make that mean something), and exactly
// one background refresh queried the origin across the instances.
// Same logic as `Ranking.Gateway.LoadTests stampede-stale`.
//   k6 run -e BASE_URL=http://localhost:8080 -e ORIGIN_MS=2000 k6/stale.js
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Trend } from 'k6/metrics';
import { baseUrls, num, pickGroup, rankingUrl, settledOriginQueries, staleAt } from './lib.js';

const CLIENTS = num('CLIENTS', 1000);
const GROUPS = num('GROUPS', 1000);
const ORIGIN_MS = num('ORIGIN_MS', 2000);

const staleLatency = new Trend('stale_answer_duration', true);

export const options = {
  scenarios: {
    stampede: { executor: 'shared-iterations', vus: CLIENTS, iterations: CLIENTS, maxDuration: '60s' },
  },
  thresholds: {
    checks: ['rate==1.0'],
    http_req_failed: ['rate==0'],
    stale_answer_duration: [`p(99)<=${ORIGIN_MS / 10}`],
  },
  // setup waits out the fresh window (60 s with the default configuration).
  setupTimeout: '180s',
  teardownTimeout: '120s',
};

export function setup() {
  const urls = baseUrls();
  const group = pickGroup(GROUPS);
  const warm = http.get(rankingUrl(urls[0], group), { tags: { name: 'warm-up' } });
  if (warm.status !== 200) {
    throw new Error(`${group} answered ${warm.status}; the stampede needs a group that exists`);
  }
  console.log(`warm-up read of ${group}: ${warm.headers['X-Cache-Status']} in ${Math.round(warm.timings.duration)} ms`);
  const before = settledOriginQueries(urls, null, 0, 10);
  const wait = staleAt(warm) - Date.now();
  if (wait > 0) {
    console.log(`waiting ${(wait / 1000).toFixed(1)} s for the entry to go stale`);
    sleep(wait / 1000);
  }
  return { urls, group, before };
}

export default function (data) {
  const base = data.urls[(__VU - 1) % data.urls.length];
  const res = http.get(rankingUrl(base, data.group), { tags: { name: 'ranking' } });
  const status = res.headers['X-Cache-Status'];
  if (status === 'STALE') {
    staleLatency.add(res.timings.duration);
  }
  check(res, {
    'status is 200': (r) => r.status === 200,
    'answered from the cache, not a MISS': () => status === 'STALE' || status === 'FRESH',
  });
}

export function teardown(data) {
  const after = settledOriginQueries(data.urls, data.before, 1, ORIGIN_MS / 1000 + 20);
  console.log(`origin queries (background refreshes) during the stampede: ${after - data.before}`);
  check(after - data.before, { 'origin queries moved by exactly one': (delta) => delta === 1 });
}
