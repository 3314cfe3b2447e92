// The cases: each k6 script once with the thing it checks happening (it must pass) and once broken on purpose
// (it must fail, on exactly the checks and thresholds named in `expect`, give or take `mayAlsoFail`).
// `happened` is what the gateways' own counters must show, so a case cannot pass by not setting up what it
// claims; `setup` covers `before` and the script's setup(), `run` its iterations and teardown (traffic of an
// afterSetup hook falls in neither).
// Groups: g1..g40 answer at once, slow1..slow9 after the slow origin's delay (stampedes and stale reads).
// `target: 'unprotected'` runs a case against the pair without stampede protection (caching bypassed, each instance
// sharing one fetch among its own concurrent readers only): there every script must fail, for the reason it checks.
import { cacheStatus, entryWindow, read, waitUntil } from './gateways.mjs';

export function harnessCases({ urls, unprotected }) {
  const both = urls.join(',');
  const bare = unprotected.join(',');
  const ranking = (group) => `${urls[0]}/ranking/${group}?limit=100`;
  // Latency limits check the gateway, not the scripts' logic: they are widened (still applied) so that a busy
  // machine's pauses do not decide a case.
  const stampede = { BASE_URLS: both, CLIENTS: '8' };
  const stale = { ...stampede, STALE_SHARE: '0.5' };
  const steady = { BASE_URLS: both, RATE: '20', DURATION: '1', VUS: '10', MAX_VUS: '10', P99_MS: '2000' };
  const shared = {};

  return {
    // The warm group for the "stampede on a warm group" case: read now, stale by the time that case runs.
    async prepare() {
      shared.warm = entryWindow(await read(ranking('slow9')));
    },
    cases: [
      {
        name: 'stampede.js on a cold group',
        script: 'k6/stampede.js',
        env: { ...stampede, GROUP: 'slow1' },
        expect: [],
        happened: ['one origin query, MISS answers', (o) => o.run.origin === 1 && o.run.answers.MISS > 0],
      },
      {
        name: 'stampede.js with a second origin query during the stampede',
        script: 'k6/stampede.js',
        env: { ...stampede, GROUP: 'slow2' },
        hooks: { duringIterations: (data, io) => read(ranking('slow3'), io) },
        expect: ['origin queries moved by exactly one'],
        happened: ['two origin queries', (o) => o.run.origin === 2],
      },
      {
        name: 'stale.js on a stale group',
        script: 'k6/stale.js',
        env: { ...stale, GROUP: 'slow4' },
        expect: [],
        happened: ['STALE answers, one background refresh', (o) => o.run.answers.STALE > 0 && o.run.origin === 1],
      },
      {
        name: 'stale.js with the entry refreshed before the burst (no STALE answer)',
        script: 'k6/stale.js',
        env: { ...stale, GROUP: 'slow5' },
        hooks: {
          // Read the stale entry (which starts its refresh) until the refreshed one answers.
          async afterSetup(data, io) {
            const deadline = Date.now() + 20_000;
            while (cacheStatus(await read(ranking('slow5'), io)) !== 'FRESH') {
              if (Date.now() > deadline) {
                throw new Error('slow5 was not refreshed in time');
              }
              await waitUntil(Date.now() + 100);
            }
          },
        },
        expect: ['stale_answers count>0'],
        happened: ['no STALE answer in the burst', (o) => o.run.answers.STALE === 0 && o.run.answers.FRESH > 0],
      },
      {
        name: 'stale.js with a second origin query landing after the burst',
        script: 'k6/stale.js',
        env: { ...stale, GROUP: 'slow6' },
        // Started as the iterations end, so it lands while teardown is already counting.
        hooks: { afterIterations: (data, io) => read(ranking('slow7'), io) },
        expect: ['origin queries moved by exactly one'],
        happened: ['STALE answers, two origin queries', (o) => o.run.answers.STALE > 0 && o.run.origin === 2],
      },
      {
        name: 'stampede.js on a warm group, stale by now (its one refresh moves the counter by one)',
        script: 'k6/stampede.js',
        env: { ...stampede, GROUP: 'slow9' },
        async before() {
          await waitUntil(shared.warm.staleBy);
          if (Date.now() >= shared.warm.usableUntil) {
            throw new Error('slow9 is past its stale window: this case ran too late');
          }
        },
        expect: ['answered MISS or FRESH (the group was not cached)', 'miss_answers count>1'],
        // The stale entry's refresh runs in the background; stampede.js counts only the foreground fetches of
        // a cold stampede, so whether teardown sees the refresh is a race that does not change the verdict.
        mayAlsoFail: ['origin queries moved by exactly one'],
        happened: ['STALE answers, no MISS, one origin query: what the old script took for a cold stampede', (o) => o.run.answers.STALE > 0 && o.run.answers.MISS === 0 && o.run.origin === 1],
      },
      {
        name: 'steady.js with an origin query while every entry is fresh',
        script: 'k6/steady.js',
        env: { ...steady, GROUPS: '10' },
        hooks: { duringIterations: (data, io) => read(ranking('g40'), io) },
        expect: ['mix: no origin query but one refresh per entry that went stale'],
        happened: ['10 origin queries in the fill, one in the mix', (o) => o.setup.origin === 10 && o.run.origin === 1],
      },
      {
        // The case: groups read shortly before the run are FRESH at the fill (so not fetched) and go
        // stale during the mix, which refreshes them. g11 and g18 are among the mix's first ten reads (SEED 1).
        // The fill's own entries may count as possibly stale too, so the script's limit is loose here; the case
        // before shows it is exact when no entry can have gone stale.
        name: 'steady.js with groups cached before the fill going stale during the mix',
        script: 'k6/steady.js',
        env: { ...steady, GROUPS: '30' },
        async before() {
          const reads = await Promise.all(Array.from({ length: 10 }, (_, i) => read(ranking(`g${11 + i}`))));
          shared.cachedStaleBy = Math.max(...reads.map((r) => entryWindow(r).staleBy));
        },
        hooks: { afterSetup: () => waitUntil(shared.cachedStaleBy) },
        expect: [],
        happened: ['before and fill: g11..g20 MISS then FRESH, g21..g30 MISS; mix: STALE answers and refreshes (the old script failed here)', (o) =>
          o.setup.answers.FRESH >= 10 && o.setup.answers.MISS === 20 && o.run.answers.STALE > 0 && o.run.origin > 0],
      },
      {
        name: 'stampede.js against a gateway without stampede protection',
        target: 'unprotected',
        script: 'k6/stampede.js',
        env: { ...stampede, BASE_URLS: bare, GROUP: 'slow1' },
        expect: ['origin queries moved by exactly one'],
        happened: ['an origin query per instance, MISS answers', (o) => o.run.origin >= 2 && o.run.answers.MISS > 1],
      },
      {
        name: 'stale.js against a gateway without stampede protection',
        target: 'unprotected',
        script: 'k6/stale.js',
        env: { ...stale, BASE_URLS: bare, GROUP: 'slow4' },
        // Nothing was kept, so the burst met no stale copy: every reader waited for the origin.
        expect: ['answered from the cache, not a MISS', 'stale_answers count>0', 'origin queries moved by exactly one'],
        happened: ['MISS answers, an origin query per instance', (o) => o.run.answers.MISS > 0 && o.run.answers.STALE === 0 && o.run.origin >= 2],
      },
      {
        name: 'steady.js against a gateway without stampede protection',
        target: 'unprotected',
        script: 'k6/steady.js',
        env: { ...steady, BASE_URLS: bare, GROUPS: '10' },
        expect: ['mix: no origin query but one refresh per entry that went stale'],
        happened: ['10 origin queries in the fill, the mix\'s reads at the origin', (o) => o.setup.origin === 10 && o.run.origin > 1],
      },
    ],
  };
}
