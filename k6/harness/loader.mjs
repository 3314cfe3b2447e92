// Node module hooks for running k6 scripts: the k6 modules come from ./shim/, and the scripts (plain .js
// files without a package.json) load as ES modules. Every run imports its script with a `?run=N` tag that
// its own .js imports inherit, so each run gets fresh module instances (init code reads __ENV).
const shims = {
  k6: 'k6.mjs',
  'k6/http': 'http.mjs',
  'k6/metrics': 'metrics.mjs',
  'k6/execution': 'execution.mjs',
};

export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(shims, specifier)) {
    return { url: new URL(`./shim/${shims[specifier]}`, import.meta.url).href, format: 'module', shortCircuit: true };
  }
  if (specifier === 'k6' || specifier.startsWith('k6/')) {
    throw new Error(`the k6 harness has no shim for '${specifier}'`);
  }
  const resolved = await nextResolve(specifier, context);
  const run = context.parentURL ? new URL(context.parentURL).searchParams.get('run') : null;
  if (run !== null && resolved.url.startsWith('file:') && resolved.url.endsWith('.js')) {
    const tagged = new URL(resolved.url);
    tagged.searchParams.set('run', run);
    return { ...resolved, url: tagged.href };
  }
  return resolved;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && new URL(url).pathname.endsWith('.js')) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
