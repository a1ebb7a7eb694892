import cf from 'cloudfront';
import crypto from 'crypto';

// Rillet: may this viewer request read this channel file? (cloudfront-js-2.0, viewer request)
// Same rule as layers/rillet/python/rillet/core/access.py; tests/cases/read_access.json holds
// the cases both must pass. Change the two together. See infra/edge/README.md.
// First, the web app's paths (webRoute, as layers/rillet/python/rillet/core/webapp.py;
// cases in tests/cases/web_routes.json): its pages and files come from the web origin.
const kvs = cf.kvs();

const CHALLENGE = 'Basic realm="rillet", Bearer realm="rillet"';
const MESSAGES = {
  'bad-path': 'bad request path',
  'no-token': 'this channel is private: send a token (Bearer, Basic password or /t/<token>/)',
  'unknown-token': 'unknown token',
  'expired-token': 'expired token',
  'no-access': 'this token may not read this channel',
  'not-found': 'not found',
};
const TEXTS = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
const TOKEN = /^[A-Za-z0-9._~+=-]{1,256}$/;
const AUTHORIZATION = /^[ \t]*([A-Za-z]+)[ \t]+([^ \t]+)[ \t]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,49}$/;
const EXPIRY = /^[0-9]{1,15}$/;
// A superset of the user-name rule (a corrupt u: value names no one).
const USER = /^[a-z0-9][a-z0-9_-]{0,38}$/;

// get() throws for a missing key; any other failure must surface (CloudFront answers 503)
// rather than read as "absent", which would let a private channel through.
async function lookup(key) {
  try {
    return await kvs.get(key);
  } catch (e) {
    if (await kvs.exists(key)) throw e;
    return null;
  }
}

function sha256(s) {
  return crypto.createHash('sha256').update(s).digest('hex');
}

function validToken(s) {
  return TOKEN.test(s) ? s : null;
}

function basicPassword(cred) {
  // Strict base64 first: Buffer's decoder is lenient and Python's is not.
  if (cred.length % 4 || !BASE64.test(cred)) return null;
  const s = Buffer.from(cred, 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? null : validToken(s.slice(i + 1));
}

function headerToken(auth) {
  const m = AUTHORIZATION.exec(auth);
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  if (scheme === 'bearer') return validToken(m[2]);
  if (scheme === 'basic') return basicPassword(m[2]);
  return null;
}

function badPath(uri) {
  if (uri[0] !== '/' || uri.indexOf('\\') >= 0 || uri.indexOf('//') >= 0) return true;
  const low = uri.toLowerCase();
  if (low.indexOf('%2f') >= 0 || low.indexOf('%5c') >= 0 || low.indexOf('%00') >= 0) {
    return true;
  }
  return low.split('/').some((seg) => {
    const s = seg.replace(/%2e/g, '.');
    return s === '.' || s === '..';
  });
}

// null: absent or unreadable (fail closed); else whether it has not yet expired.
function live(expiry, now) {
  if (expiry === null || !EXPIRY.test(expiry)) return null;
  const v = Number(expiry);
  return v === 0 || now < v;
}

// A u: value '<expiry>:<user>': [liveness as live(), user]; [null, null] if unreadable.
function userOf(value, now) {
  if (value === null) return [null, null];
  const i = value.indexOf(':');
  if (i < 0 || !USER.test(value.slice(i + 1))) return [null, null];
  const l = live(value.slice(0, i), now);
  return [l, l === null ? null : value.slice(i + 1)];
}

function refuse(status, reason, uri) {
  const headers = { 'content-type': 'text/plain; charset=utf-8' };
  if (status === 401) headers['www-authenticate'] = CHALLENGE;
  return { status, uri, reason, headers, body: reason + ': ' + MESSAGES[reason] + '\n' };
}

// S3 behind CloudFront decodes a literal '+' in the path as a space: send it encoded.
function forward(uri, reason) {
  return { status: 200, uri: uri.replace(/\+/g, '%2B'), reason, headers: {}, body: '' };
}

// Not /<channel>/.../<file>: the origin could only answer it as a listing.
function noFile(path) {
  const segs = path.split('/');
  return segs.length < 3 || !segs[1] || !segs[segs.length - 1];
}

async function decide(uri, auth, now) {
  if (badPath(uri)) return refuse(400, 'bad-path', uri);
  if (uri === '/api' || uri.startsWith('/api/')) return forward(uri, 'api');
  const isT = uri === '/t' || uri.startsWith('/t/');
  const end = isT ? uri.indexOf('/', 3) : -1;
  if (isT && end < 0) return refuse(400, 'bad-path', uri);
  let token = null;
  let path = uri;
  if (end > 3) {
    token = validToken(uri.slice(3, end));
    path = uri.slice(end);
  }
  if (token === null) token = headerToken(auth);
  if (noFile(path)) return refuse(404, 'not-found', path);
  const channel = path.slice(1).split('/')[0];
  // S3 would decode '%61cme' to 'acme': the channel must be spelled literally.
  if (channel.indexOf('%') >= 0) return refuse(400, 'bad-path', uri);
  if (!CHANNEL.test(channel)) return forward(path, 'unknown-channel');
  const visibility = await lookup('c:' + channel);
  // Absent: let the origin answer 404 (a 403 for a missing channel is fatal to clients).
  if (visibility === null) return forward(path, 'unknown-channel');
  if (visibility === 'public') return forward(path, 'public');
  // Any other value is private: a corrupt entry must not open a channel.
  if (token === null) return refuse(401, 'no-token', path);
  const digest = sha256(token);
  const grant = live(await lookup('r:' + channel + ':' + digest), now);
  if (grant) return forward(path, 'ok');
  // A key not limited to channels reads where its user is a member (u: + m:).
  const [holder, user] = userOf(await lookup('u:' + digest), now);
  if (holder && user !== null && (await lookup('m:' + channel + ':' + user)) !== null) {
    return forward(path, 'ok');
  }
  const known = live(await lookup('t:' + digest), now);
  if (known || holder) return refuse(403, 'no-access', path);
  if (grant === false || known === false || holder === false) {
    return refuse(401, 'expired-token', path);
  }
  return refuse(401, 'unknown-token', path);
}

// The web app (core/webapp.py). Its origin id is set in infra/aws/cdn.py (WEB_ORIGIN_ID).
const WEB_ORIGIN_ID = 'web';
const APP_PAGES = ['channels', 'account', 'callback', 'logout'];
const ROOT_FILES = ['favicon.ico', 'favicon.svg', 'robots.txt'];
const ASSET = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const NOT_CHANNELS = ['api', 't'];

function acceptsHtml(accept) {
  return accept.split(',').some((part) => part.split(';')[0].trim().toLowerCase() === 'text/html');
}

// null: not the app's (the read rule decides); else {kind: page|asset|redirect, uri, headers}.
function webRoute(uri, accept) {
  if (uri === '/' || uri === '/index.html') return { kind: 'page', uri: '/index.html', headers: {} };
  const segs = uri.split('/');
  const first = segs.length > 1 ? segs[1] : '';
  if (APP_PAGES.indexOf(first) >= 0) return { kind: 'page', uri: '/index.html', headers: {} };
  if (uri.startsWith('/assets/')) {
    const name = uri.slice('/assets/'.length);
    return ASSET.test(name) && name.indexOf('..') < 0 ? { kind: 'asset', uri, headers: {} } : null;
  }
  if (segs.length === 2 && ROOT_FILES.indexOf(first) >= 0) {
    return { kind: 'asset', uri, headers: {} };
  }
  const bare = segs.length === 2 || (segs.length === 3 && segs[2] === '');
  if (bare && CHANNEL.test(first) && NOT_CHANNELS.indexOf(first) < 0 && acceptsHtml(accept)) {
    const location = '/channels/' + first;
    return {
      kind: 'redirect',
      uri: location,
      headers: { location, 'cache-control': 'no-store', vary: 'Accept' },
    };
  }
  return null;
}

async function handler(event) {
  const request = event.request;
  const accept = request.headers.accept;
  const web = webRoute(request.uri, accept ? accept.value : '');
  if (web !== null && web.kind === 'redirect') {
    const headers = {};
    for (const name in web.headers) headers[name] = { value: web.headers[name] };
    return { statusCode: 302, statusDescription: 'Found', headers };
  }
  if (web !== null) {
    request.uri = web.uri;
    delete request.headers.authorization;
    cf.selectRequestOriginById(WEB_ORIGIN_ID);
    return request;
  }
  const auth = request.headers.authorization;
  const d = await decide(request.uri, auth ? auth.value : '', Math.floor(Date.now() / 1000));
  if (d.reason === 'api') return request;
  if (d.status === 200) {
    request.uri = d.uri;
    // The origin needs no credentials, and S3 must not see a viewer's Authorization.
    delete request.headers.authorization;
    return request;
  }
  const headers = {};
  for (const name in d.headers) headers[name] = { value: d.headers[name] };
  return {
    statusCode: d.status,
    statusDescription: TEXTS[d.status],
    headers,
    body: { encoding: 'text', data: d.body },
  };
}
