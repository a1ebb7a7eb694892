// Runs infra/edge/viewer_request.js's handler over the web-route cases and prints JSON.
//
//   node tests/edge/run_edge_web.mjs <viewer_request.js> <cases.json>
//
// Each result says whether the request was answered at the edge (status, headers) or
// forwarded (uri, the origin selected, what is left of the viewer's headers).
import { readFileSync } from 'node:fs';

import { loadEdgeFunction, selected, setStore } from './load_edge_function.mjs';

const [functionPath, casesPath] = process.argv.slice(2);
const mod = await loadEdgeFunction(functionPath, ['handler', 'webRoute']);
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, 'utf8'))) {
  setStore(c.data || {});
  selected.origin = null;
  const headers = {};
  for (const [name, value] of Object.entries(c.headers || {})) headers[name] = { value };
  const event = {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri: c.uri, querystring: {}, headers, cookies: {} },
  };
  let out;
  try {
    const route = mod.webRoute(c.uri, c.headers && c.headers.accept ? c.headers.accept : '');
    const res = await mod.handler(event);
    out = { route };
    if (res.statusCode === undefined) {
      out.status = 200;
      out.uri = res.uri;
      out.origin = selected.origin;
      out.request_headers = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, v.value]),
      );
    } else {
      out.status = res.statusCode;
      out.headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v.value]));
    }
  } catch (e) {
    out = { error: String(e && e.stack ? e.stack : e) };
  }
  out.name = c.name;
  results.push(out);
}
process.stdout.write(JSON.stringify(results));
