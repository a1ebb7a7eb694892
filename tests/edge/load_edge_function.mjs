// Loads a CloudFront Function file under Node for the edge harnesses.
//
// The `cloudfront` module exists only inside CloudFront, so its import line is replaced by a
// stub whose KeyValueStore serves whatever `setStore(data)` was last given (get() throws for
// a missing key, as the real one does).
import { readFileSync } from 'node:fs';

const IMPORT_LINE = "import cf from 'cloudfront';";

let current = {};
// The origin a function selected for the current request (cf.selectRequestOriginById).
export const selected = { origin: null };
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
  selectRequestOriginById(id) {
    selected.origin = id;
  },
};

export function setStore(data) {
  current = data;
}

// The module with `names` exported (the function file itself exports nothing).
export async function loadEdgeFunction(functionPath, names) {
  const source = readFileSync(functionPath, 'utf8');
  if (!source.includes(IMPORT_LINE)) {
    console.error(`${functionPath} does not contain the line: ${IMPORT_LINE}`);
    process.exit(2);
  }
  const patched =
    source.replace(IMPORT_LINE, 'const cf = globalThis.__rilletCloudfront;') +
    `\nexport { ${names.join(', ')} };\n`;
  return import('data:text/javascript;base64,' + Buffer.from(patched).toString('base64'));
}
