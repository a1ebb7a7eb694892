// Runs infra/edge/viewer_response.js under Node over a list of cases; prints JSON results.
//
//   node tests/edge/run_edge_response.mjs <viewer_response.js> <cases.json>
//
// Each case: {name, data, uri, cache_control (or null)}; result: {name, cache_control}.
// The `cloudfront` module is stubbed as in run_edge.mjs.
import { readFileSync } from 'node:fs';

const [functionPath, casesPath] = process.argv.slice(2);
const IMPORT_LINE = "import cf from 'cloudfront';";
const source = readFileSync(functionPath, 'utf8');
if (!source.includes(IMPORT_LINE)) {
  console.error(`${functionPath} does not contain the line: ${IMPORT_LINE}`);
  process.exit(2);
}
let current = {};
const has = (key) => Object.prototype.hasOwnProperty.call(current, key);
globalThis.__rilletCloudfront = {
  kvs: () => ({
    async get(key) {
      if (!has(key)) throw new Error(`Key ${key} not found`);
      return current[key];
    },
    async exists(key) {
      return has(key);
    },
  }),
};
const patched =
  source.replace(IMPORT_LINE, 'const cf = globalThis.__rilletCloudfront;') +
  '\nexport { handler };\n';
const mod = await import('data:text/javascript;base64,' + Buffer.from(patched).toString('base64'));
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, 'utf8'))) {
  current = c.data;
  const headers = { 'content-type': { value: 'application/json' } };
  if (c.cache_control !== null) headers['cache-control'] = { value: c.cache_control };
  const event = {
    version: '1.0',
    context: { eventType: 'viewer-response' },
    request: { method: 'GET', uri: c.uri, querystring: {}, headers: {}, cookies: {} },
    response: { statusCode: 200, statusDescription: 'OK', headers, cookies: {} },
  };
  try {
    const res = await mod.handler(event);
    const cc = res.headers['cache-control'];
    results.push({ name: c.name, cache_control: cc ? cc.value : null });
  } catch (e) {
    results.push({ name: c.name, error: String(e) });
  }
}
process.stdout.write(JSON.stringify(results));
