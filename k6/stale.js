// Stale stampede: the group is read once (a MISS: the cache now holds it, and the answer's latency is the
// origin's as a client sees it), then, once its entry has gone stale, CLIENTS virtual users ask for it at the
// same moment. Passing: every answer is 200 and none is a MISS (all served from the stale copy, or fresh once
// the refresh landed), at least one was STALE, the STALE answers' p99 is at most STALE_SHARE (a tenth) of the
// origin latency measured by the first read or STALE_P99_MS (100 ms), whichever is larger, and exactly one
// background refresh queried the origin across the instances. The latency check tells a STALE answer that waited for
// the origin from one that did not only when the origin is slower than STALE_P99_MS / STALE_SHARE (1 s by default):
// setup says so when it is not (make the origin slow, or point GROUP at a costly group).
// Same logic as `Ranking.Gateway.LoadTests stampede-stale`.
// The counter is per instance, not per run: the gateways must be otherwise idle while this runs.
//   k6 run -e BASE_URL=http://localhost:8080 k6/stale.js
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { baseUrls, freshUntil, inFlightBound, int, num, pickGroup, rankingUrl, settledOriginQueries } from './lib.js';

const CLIENTS = int('CLIENTS', 1000);
const GROUPS = int('GROUPS', 1000);
const STALE_SHARE = num('STALE_SHARE', 0.1);
// A floor for the STALE bound: with a fast origin a tenth of its latency is below the network's own noise, and a
// healthy gateway would fail.
const STALE_P99_MS = num('STALE_P99_MS', 100);

const staleAnswers = new Counter('stale_answers');
const staleLatency = new Trend('stale_answer_duration', true);
// A STALE answer's latency as a share of its bound, max(STALE_SHARE × the origin's latency, STALE_P99_MS): thresholds
// are fixed before setup measures the origin.
const staleShare = new Trend('stale_answer_bound_share');

export const options = {
  scenarios: {
    stampede: { executor: 'per-vu-iterations', vus: CLIENTS, iterations: 1, maxDuration: '60s' },
  },
  thresholds: {
    checks: ['rate==1.0'],
    http_req_failed: ['rate==0'],
    // An empty Trend's p(99) is 0 and would pass: the burst must have met the stale entry.
    stale_answers: ['count>0'],
    stale_answer_bound_share: ['p(99)<=1'],
  },
  // setup waits out the fresh window (60 to 70 s with the default configuration).
  setupTimeout: '180s',
  teardownTimeout: '120s',
};

export function setup() {
  const urls = baseUrls();
  const group = pickGroup(GROUPS);
  const sentAt = Date.now();
  const warm = http.get(rankingUrl(urls[0], group), { tags: { name: 'warm-up' } });
  const receivedAt = Date.now();
  if (warm.status !== 200) {
    throw new Error(`${group} answered ${warm.status}; the stampede needs a group that exists`);
  }
  const warmStatus = warm.headers['X-Cache-Status'];
  if (warmStatus !== 'MISS') {
    throw new Error(`${group} was already cached (${warmStatus}): its first read must be a MISS to measure the origin; pick another GROUP`);
  }
  const originMs = warm.timings.duration;
  const staleBoundMs = Math.max(STALE_SHARE * originMs, STALE_P99_MS);
  console.log(`warm-up read of ${group}: MISS in ${Math.round(originMs)} ms (the origin's latency); STALE answers' p99 must be within ${Math.round(staleBoundMs)} ms`);
  if (STALE_SHARE * originMs < STALE_P99_MS) {
    console.warn(`the origin answered in ${Math.round(originMs)} ms: a STALE answer that waited for it would pass the latency check too (make the origin slower than ${Math.round(STALE_P99_MS / STALE_SHARE)} ms for that check to mean something)`);
  }
  const wait = freshUntil(warm, sentAt, receivedAt).latest - Date.now();
  if (wait > 0) {
    console.log(`waiting ${(wait / 1000).toFixed(1)} s for the entry to go stale`);
    sleep(wait / 1000);
  }
  if (urls.length === 1) {
    console.warn('one instance: the lock across instances is not tested (list every instance in BASE_URLS)');
  }
  // Read after the wait, right before the burst; nothing reads the stale entry meanwhile, so nothing refreshes it.
  const before = settledOriginQueries(urls, { timeoutSeconds: 10 });
  if (!before.settled) {
    throw new Error('the origin-query counter kept moving: the gateways are not idle');
  }
  return { urls, group, originMs, staleBoundMs, before: before.count };
}

export default function (data) {
  const base = data.urls[(__VU - 1) % data.urls.length];
  const res = http.get(rankingUrl(base, data.group), { tags: { name: 'ranking' } });
  const status = res.headers['X-Cache-Status'];
  if (status === 'STALE') {
    staleAnswers.add(1);
    staleLatency.add(res.timings.duration);
    staleShare.add(res.timings.duration / data.staleBoundMs);
  }
  check(res, {
    'status is 200': (r) => r.status === 200,
    'answered from the cache, not a MISS': () => status === 'STALE' || status === 'FRESH',
  });
}

export function teardown(data) {
  // A refresh started during the burst takes about one origin latency; wait for it, and for a second one.
  const inFlightMs = inFlightBound(data.originMs);
  const after = settledOriginQueries(data.urls, { since: data.before, atLeast: 1, inFlightMs, timeoutSeconds: inFlightMs / 1000 + 20 });
  console.log(`origin queries (background refreshes) during the stampede: ${after.count - data.before}`);
  check(after, { 'origin-query counter settled': (a) => a.settled });
  check(after.count - data.before, { 'origin queries moved by exactly one': (delta) => delta === 1 });
}
