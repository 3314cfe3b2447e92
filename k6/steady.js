// Steady: every group is read once (setup: the MISS path, and a warm cache), then a Zipf-skewed read mix over
// GROUPS groups runs at RATE requests per second (open loop), spread over the instances. Request n asks for
// the group the .NET runner's request n asks for with the same SEED.
// Passing: p99 of all answers under P99_MS, p99 of FRESH answers under FRESH_P99_MS, no failed request, every
// scheduled request sent, at most one origin query per group during the fill, and none during the mix while
// every entry is fresh (when fill + mix fit in the fresh window, FRESH_SECONDS).
// Same logic as `Ranking.Gateway.LoadTests steady`.
//   k6 run -e BASE_URL=http://localhost:8080 -e RATE=2000 -e DURATION=30 k6/steady.js
import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import { baseUrls, num, rankingUrl, requestRandom, settledOriginQueries, zipfSampler } from './lib.js';

const GROUPS = num('GROUPS', 10000);
const RATE = num('RATE', 1000);
const DURATION = num('DURATION', 30);
const ZIPF = num('ZIPF', 1.1);
const SEED = num('SEED', 1);
const FRESH_SECONDS = num('FRESH_SECONDS', 60);
const zipf = zipfSampler(GROUPS, ZIPF);

const freshLatency = new Trend('fresh_answer_duration', true);

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: `${DURATION}s`,
      preAllocatedVUs: num('VUS', 200),
      maxVUs: num('MAX_VUS', 2000),
    },
  },
  thresholds: {
    http_req_failed: [`rate<=${__ENV.ERROR_RATE || 0}`],
    'http_req_duration{name:ranking}': [`p(99)<${num('P99_MS', 250)}`],
    fresh_answer_duration: [`p(99)<${num('FRESH_P99_MS', 2)}`],
    dropped_iterations: ['count==0'],
    checks: ['rate==1.0'],
  },
  setupTimeout: '300s',
  teardownTimeout: '60s',
};

export function setup() {
  const urls = baseUrls();
  const started = Date.now();
  const before = settledOriginQueries(urls, null, 0, 10);
  for (let first = 1; first <= GROUPS; first += 100) {
    const batch = [];
    for (let g = first; g < first + 100 && g <= GROUPS; g++) {
      batch.push(['GET', rankingUrl(urls[g % urls.length], `g${g}`), null, { tags: { name: 'fill' } }]);
    }
    for (const res of http.batch(batch)) {
      check(res, { 'fill: status is 200': (r) => r.status === 200 });
    }
  }
  const filled = settledOriginQueries(urls, before, 0, 20);
  console.log(`fill: ${GROUPS} groups read, ${filled - before} origin queries`);
  // Exactly GROUPS when the cache was empty; fewer when some groups were cached already.
  check(filled - before, { 'fill: at most one origin query per group': (d) => d <= GROUPS });
  return { urls, started, before: filled };
}

export default function (data) {
  const n = exec.scenario.iterationInTest;
  const group = zipf(requestRandom(SEED, n));
  const res = http.get(rankingUrl(data.urls[n % data.urls.length], `g${group}`), { tags: { name: 'ranking' } });
  if (res.headers['X-Cache-Status'] === 'FRESH') {
    freshLatency.add(res.timings.duration);
  }
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}

export function teardown(data) {
  const delta = settledOriginQueries(data.urls, data.before, 0, 20) - data.before;
  console.log(`origin queries during the mix: ${delta}`);
  if (Date.now() - data.started < FRESH_SECONDS * 1000) {
    check(delta, { 'no origin query while every entry is fresh': (d) => d === 0 });
  }
}
