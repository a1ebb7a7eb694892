// Runs infra/edge/viewer_request.js under Node over a table of cases and prints JSON results.
//
//   node tests/edge/run_edge.mjs <viewer_request.js> <cases.json>
//
// The `cloudfront` module is stubbed (load_edge_function.mjs) with each case's `data` as the
// KeyValueStore; `now` is injected through Date.now. One process runs every case.
import { readFileSync } from 'node:fs';

import { loadEdgeFunction, setStore } from './load_edge_function.mjs';

const [functionPath, casesPath] = process.argv.slice(2);
if (!functionPath || !casesPath) {
  console.error('usage: node run_edge.mjs <viewer_request.js> <cases.json>');
  process.exit(2);
}

const mod = await loadEdgeFunction(functionPath, ['handler', 'decide', 'webRoute']);

const realNow = Date.now;
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, 'utf8'))) {
  setStore(c.data);
  Date.now = () => c.now * 1000;
  const headers = {};
  for (const [name, value] of Object.entries(c.request.headers || {})) {
    headers[name] = { value };
  }
  const event = {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri: c.request.uri, querystring: {}, headers, cookies: {} },
  };
  const auth = headers.authorization ? headers.authorization.value : '';
  let out;
  try {
    const decision = await mod.decide(c.request.uri, auth, c.now);
    const res = await mod.handler(event);
    if (res.statusCode === undefined) {
      out = {
        status: 200,
        uri: res.uri,
        reason: decision.reason,
        forwarded: true,
        request_headers: Object.fromEntries(
          Object.entries(res.headers).map(([k, v]) => [k, v.value]),
        ),
      };
    } else {
      out = {
        status: res.statusCode,
        uri: decision.uri,
        status_description: res.statusDescription,
        reason: decision.reason,
        forwarded: false,
        headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v.value])),
        body: res.body,
      };
    }
    out.decision_status = decision.status;
    out.decision_uri = decision.uri;
    out.decision_reason = decision.reason;
    // The web app's paths ('/', '/index.html') are answered before the read rule
    // (tests/edge/test_web_routes.py); here only the rule's decision is compared.
    const accept = headers.accept ? headers.accept.value : '';
    out.web = mod.webRoute(c.request.uri, accept) !== null;
  } catch (e) {
    out = { error: String(e && e.stack ? e.stack : e) };
  }
  out.name = c.name;
  results.push(out);
}
Date.now = realNow;
process.stdout.write(JSON.stringify(results));
