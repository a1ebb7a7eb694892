// Runs infra/edge/viewer_request.js under Node over a table of cases and prints JSON results.
//
//   node tests/edge/run_edge.mjs <viewer_request.js> <cases.json>
//
// The `cloudfront` module exists only inside CloudFront, so its import line is replaced by a
// stub whose KeyValueStore serves the current case's `data` (get() throws for a missing key,
// as the real one does). `now` is injected through Date.now. One process runs every case.
import { readFileSync } from 'node:fs';

const [functionPath, casesPath] = process.argv.slice(2);
if (!functionPath || !casesPath) {
  console.error('usage: node run_edge.mjs <viewer_request.js> <cases.json>');
  process.exit(2);
}

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
  '\nexport { handler, decide };\n';
const mod = await import('data:text/javascript;base64,' + Buffer.from(patched).toString('base64'));

const realNow = Date.now;
const results = [];
for (const c of JSON.parse(readFileSync(casesPath, 'utf8'))) {
  current = c.data;
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
  } catch (e) {
    out = { error: String(e && e.stack ? e.stack : e) };
  }
  out.name = c.name;
  results.push(out);
}
Date.now = realNow;
process.stdout.write(JSON.stringify(results));
