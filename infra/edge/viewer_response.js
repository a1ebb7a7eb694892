import cf from 'cloudfront';

// Rillet: files of private channels leave CloudFront as Cache-Control: private, so no shared
// cache (a proxy, a CDN in front of a CI fleet) keeps one and hands it to someone else.
// (cloudfront-js-2.0, viewer response.) CloudFront's own cache may keep them: the viewer-
// request function runs before it on every request. Same rule as viewer_cache_control in
// layers/rillet/python/rillet/core/access.py; tests/edge/test_cache_control.py holds both.
const kvs = cf.kvs();
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,49}$/;
// Directives that let a shared cache store or serve the response.
const SHARED = /^(public|private|s-maxage=.*|proxy-revalidate)$/i;

// As in viewer_request.js: a missing key is null, any other failure surfaces.
async function lookup(key) {
  try {
    return await kvs.get(key);
  } catch (e) {
    if (await kvs.exists(key)) throw e;
    return null;
  }
}

// The channel of the URI as the viewer sent it or as viewer_request.js rewrote it.
function channelOf(uri) {
  let path = uri;
  if (path.startsWith('/t/')) {
    const end = path.indexOf('/', 3);
    path = end < 0 ? '' : path.slice(end);
  }
  return path.slice(1).split('/')[0];
}

function privateCacheControl(value) {
  const kept = (value || '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !SHARED.test(s));
  return ['private'].concat(kept).join(', ');
}

// null: leave the origin's header alone (public or unknown channel).
async function cacheControl(uri, value) {
  const channel = channelOf(uri);
  if (!CHANNEL.test(channel)) return null;
  const visibility = await lookup('c:' + channel);
  // Any value but 'public' is private, as in viewer_request.js.
  if (visibility === null || visibility === 'public') return null;
  return privateCacheControl(value);
}

async function handler(event) {
  const response = event.response;
  const current = response.headers['cache-control'];
  const value = await cacheControl(event.request.uri, current ? current.value : null);
  if (value !== null) response.headers['cache-control'] = { value };
  return response;
}
