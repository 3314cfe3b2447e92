// Cold stampede: CLIENTS virtual users ask for one never-cached group at the same moment, spread over the
// instances. Passing: every answer is 200, the group really was cold (no STALE answer: a stale entry's single
// background refresh would also move the counter by one), the burst overlapped the fetch (at least two MISS answers,
// i.e. two clients were answered by one fill; a burst that arrived after it tested nothing), and the origin-query
// counter summed over the instances' /metrics moved by exactly one. Give every instance in BASE_URLS: with one,
// the lock across instances is not tested (setup says so). Same logic as `Ranking.Gateway.LoadTests stampede-cold`.
// The counter is per instance, not per run: the gateways must be otherwise idle while this runs.
//   k6 run -e BASE_URL=http://localhost:8080 k6/stampede.js
//   k6 run -e BASE_URLS=http://host1:8080,http://host2:8080 -e CLIENTS=1000 k6/stampede.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { baseUrls, int, pickGroup, rankingUrl, settledOriginQueries } from './lib.js';

const CLIENTS = int('CLIENTS', 1000);
const GROUPS = int('GROUPS', 1000);

const missAnswers = new Counter('miss_answers');

export const options = {
  scenarios: {
    // Every VU is initialised before the scenario starts, then each sends its one request: all at once.
    stampede: { executor: 'per-vu-iterations', vus: CLIENTS, iterations: 1, maxDuration: '60s' },
  },
  thresholds: {
    checks: ['rate==1.0'],
    http_req_failed: ['rate==0'],
    // A cold group has no entry, so somebody must have been answered MISS; at least two, or the requests did not
    // overlap the one fetch and a gateway without stampede protection would have passed too.
    miss_answers: ['count>1'],
  },
  setupTimeout: '60s',
  teardownTimeout: '60s',
};

export function setup() {
  const urls = baseUrls();
  const group = pickGroup(GROUPS);
  const before = settledOriginQueries(urls, { timeoutSeconds: 10 });
  if (!before.settled) {
    throw new Error('the origin-query counter kept moving: the gateways are not idle');
  }
  console.log(`cold stampede: ${CLIENTS} clients on ${group} over ${urls.length} instance(s); origin queries so far: ${before.count}`);
  if (urls.length === 1) {
    console.warn('one instance: the lock across instances is not tested (list every instance in BASE_URLS)');
  }
  return { urls, group, before: before.count };
}

export default function (data) {
  const base = data.urls[(__VU - 1) % data.urls.length];
  const res = http.get(rankingUrl(base, data.group), { tags: { name: 'ranking' } });
  const status = res.headers['X-Cache-Status'];
  if (status === 'MISS') {
    missAnswers.add(1);
  }
  check(res, {
    'status is 200': (r) => r.status === 200,
    // FRESH: arrived after the one fetch had stored the entry. STALE would mean the group was cached already.
    'answered MISS or FRESH (the group was not cached)': () => status === 'MISS' || status === 'FRESH',
  });
}

export function teardown(data) {
  // Every origin query of a cold stampede is a MISS fetch, finished before its answer: nothing is in flight.
  const after = settledOriginQueries(data.urls, { timeoutSeconds: 10 });
  console.log(`origin queries during the stampede: ${after.count - data.before}`);
  check(after, { 'origin-query counter settled': (a) => a.settled });
  check(after.count - data.before, { 'origin queries moved by exactly one': (delta) => delta === 1 });
}
