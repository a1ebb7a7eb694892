// npm run gen:api: regenerate src/api/schema.d.ts from the API's OpenAPI document.
//   npm run gen:api                      dump it from the code (python scripts/dump_openapi.py)
//   npm run gen:api -- http://127.0.0.1:8787   fetch it from a running stack instead
// Python: $PYTHON, else `python` (activate the project's environment first).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(web, "..");
const from = process.argv[2];

let document;
if (from) {
  const response = await fetch(new URL("/api/openapi.json", from));
  if (!response.ok) throw new Error(`GET /api/openapi.json answered ${response.status}`);
  document = await response.text();
} else {
  document = execFileSync(process.env.PYTHON || "python", [join(web, "scripts", "dump_openapi.py")], {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, POWERTOOLS_SERVICE_NAME: "rillet-api", POWERTOOLS_LOG_LEVEL: "ERROR" },
  });
}

const dir = mkdtempSync(join(tmpdir(), "rillet-openapi-"));
try {
  const file = join(dir, "openapi.json");
  writeFileSync(file, document);
  execFileSync(
    process.execPath,
    [
      join(web, "node_modules", "openapi-typescript", "bin", "cli.js"),
      file,
      // a field with a default is optional in a request body
      "--default-non-nullable",
      "false",
      "-o",
      join(web, "src", "api", "schema.d.ts"),
    ],
    { stdio: "inherit" },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
