// `k6 run` for this machine, which has no k6: runs a script's logic with the harness's shim of the k6
// modules and exits as k6 would (0 passed, 99 thresholds failed, 107 script error). It checks logic, it is
// not a load tool: every request goes through one Node thread, and only what k6/*.js use is there.
//   node k6/harness/k6-run.mjs -e BASE_URLS=http://127.0.0.1:8080 -e CLIENTS=20 k6/stampede.js
import { runScript } from './runner.mjs';
import { summary } from './summary.mjs';

const env = {};
let script = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-e' || args[i] === '--env') {
    const [key, ...value] = (args[++i] ?? '').split('=');
    env[key] = value.join('=');
  } else if (script === null) {
    script = args[i];
  } else {
    console.error(`unexpected argument '${args[i]}'`);
    process.exit(2);
  }
}
if (script === null) {
  console.error('usage: node k6/harness/k6-run.mjs [-e KEY=VALUE]... script.js');
  process.exit(2);
}

const result = await runScript(script, { env });
console.log(summary(result));
process.exit(result.error !== null ? 107 : result.passed ? 0 : 99);
