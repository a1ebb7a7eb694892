// Runs infra/edge/viewer_response.js under Node over a list of cases; prints JSON results.
//
//   node tests/edge/run_edge_response.mjs <viewer_response.js> <cases.json>
//
// Each case: {name, data, uri, cache_control (or null)}; result: {name, cache_control}.
// The `cloudfront` module is stubbed by load_edge_function.mjs.
import { readFileSync } from 'node:fs';

import { loadEdgeFunction, setStore } from './load_edge_function.mjs';

const [functionPath, casesPath] = process.argv.slice(2);
const mod = await loadEdgeFunction(functionPath, ['handler']);
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, 'utf8'))) {
  setStore(c.data);
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
