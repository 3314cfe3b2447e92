// Cold stampede: CLIENTS virtual users ask for one never-cached group at the same moment, spread over the
// instances. Passing: every answer is 200, and the origin-query counter summed over the instances' /metrics
// moved by exactly one. Same logic as `Ranking.Gateway.LoadTests stampede-cold`.
//   k6 run -e BASE_URL=http://localhost:8080 k6/stampede.js
//   k6 run -e BASE_URLS=http://host1:8080,http://host2:8080 -e CLIENTS=1000 k6/stampede.js
import http from 'k6/http';
import { check } from 'k6';
import { baseUrls, num, pickGroup, rankingUrl, settledOriginQueries } from './lib.js';

const CLIENTS = num('CLIENTS', 1000);
const GROUPS = num('GROUPS', 1000);

export const options = {
  scenarios: {
    // Every VU is initialised before the scenario starts, then all run their one iteration together.
    stampede: { executor: 'shared-iterations', vus: CLIENTS, iterations: CLIENTS, maxDuration: '60s' },
  },
  thresholds: {
    checks: ['rate==1.0'],
    http_req_failed: ['rate==0'],
  },
  setupTimeout: '60s',
  teardownTimeout: '60s',
};

export function setup() {
  const urls = baseUrls();
  const group = pickGroup(GROUPS);
  const before = settledOriginQueries(urls, null, 0, 10);
  console.log(`cold stampede: ${CLIENTS} clients on ${group} over ${urls.length} instance(s); origin queries so far: ${before}`);
  return { urls, group, before };
}

export default function (data) {
  const base = data.urls[(__VU - 1) % data.urls.length];
  const res = http.get(rankingUrl(base, data.group), { tags: { name: 'ranking' } });
  check(res, { 'status is 200': (r) => r.status === 200 });
}

export function teardown(data) {
  const after = settledOriginQueries(data.urls, data.before, 1, 30);
  console.log(`origin queries during the stampede: ${after - data.before}`);
  check(after - data.before, { 'origin queries moved by exactly one': (delta) => delta === 1 });
}
