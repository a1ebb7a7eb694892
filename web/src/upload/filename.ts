// The browser's copy of the server's filename rules (rillet.core.names), so a file that
// would be refused is refused before a byte is sent, with the same reason codes.

export const PACKAGE_EXTENSIONS = [".conda", ".tar.bz2"] as const;
export type PackageExtension = (typeof PACKAGE_EXTENSIONS)[number];

export interface PackageFilename {
  name: string;
  version: string;
  build: string;
  extension: PackageExtension;
}

/** A refusal: a stable reason code (the server's) and a sentence for people. */
export interface Refusal {
  reason: string;
  message: string;
}

const PACKAGE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const VERSION_RE = /^[A-Za-z0-9_.+!]{1,64}$/;
const BUILD_RE = /^[A-Za-z0-9_.+]{1,64}$/;

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function validVersion(version: string): boolean {
  return (
    VERSION_RE.test(version) &&
    !/^[.+_]/.test(version) &&
    !/[.+_]$/.test(version) &&
    !version.includes("..") &&
    count(version, "!") <= 1 &&
    count(version, "+") <= 1
  );
}

export type ParseResult = { ok: true; value: PackageFilename } | { ok: false; refusal: Refusal };

function refuse(reason: string, message: string): ParseResult {
  return { ok: false, refusal: { reason, message } };
}

/** Parse `<name>-<version>-<build>.conda|.tar.bz2` as the server does. */
export function parsePackageFilename(filename: string): ParseResult {
  if (/[/\\\0]/.test(filename)) {
    return refuse("invalid-filename", "A package filename is a single path segment.");
  }
  if (filename.length > 255) {
    return refuse("invalid-filename", "The filename is longer than 255 characters.");
  }
  const extension = PACKAGE_EXTENSIONS.find(
    (ext) => filename.endsWith(ext) && filename.length > ext.length,
  );
  if (extension === undefined) {
    return refuse(
      "unknown-extension",
      `${filename} is not a conda package: the name must end in .conda or .tar.bz2.`,
    );
  }
  const stem = filename.slice(0, -extension.length);
  // rsplit("-", 2): the name may contain '-', version and build may not.
  const last = stem.lastIndexOf("-");
  const middle = last > 0 ? stem.lastIndexOf("-", last - 1) : -1;
  const name = middle >= 0 ? stem.slice(0, middle) : "";
  const version = middle >= 0 ? stem.slice(middle + 1, last) : "";
  const build = last >= 0 ? stem.slice(last + 1) : "";
  if (!name || !version || !build) {
    return refuse(
      "invalid-filename",
      `${filename} is not of the form <name>-<version>-<build>${extension}.`,
    );
  }
  if (!PACKAGE_NAME_RE.test(name)) {
    return refuse("invalid-package-name", `"${name}" is not a valid package name.`);
  }
  if (!validVersion(version)) {
    return refuse("invalid-version", `"${version}" is not a valid version.`);
  }
  if (!BUILD_RE.test(build)) {
    return refuse("invalid-build", `"${build}" is not a valid build string.`);
  }
  if (name !== name.toLowerCase()) {
    return refuse(
      "name-not-lowercase",
      `The package name "${name}" has upper-case letters; conda package names are ` +
        `lower-case (rebuild it as "${name.toLowerCase()}").`,
    );
  }
  return { ok: true, value: { name, version, build, extension } };
}

/** Human size in binary units, as the rest of the app shows sizes: 1.5 KiB, 100 MiB, 812 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${units[unit]}`;
}

export interface FileLike {
  name: string;
  size: number;
}

export type CheckResult = { ok: true; package: PackageFilename } | { ok: false; refusal: Refusal };

/** Everything the browser can judge before sending: the name, an empty file, the size. */
export function checkFile(file: FileLike, maxBytes: number | null): CheckResult {
  const parsed = parsePackageFilename(file.name);
  if (!parsed.ok) return parsed;
  if (file.size <= 0) {
    return { ok: false, refusal: { reason: "empty-file", message: "The file is empty." } };
  }
  if (maxBytes !== null && file.size > maxBytes) {
    let size = formatBytes(file.size);
    let limit = formatBytes(maxBytes);
    if (size === limit) {
      size = `${file.size.toLocaleString("en-US")} bytes`;
      limit = `${maxBytes.toLocaleString("en-US")} bytes`;
    }
    return {
      ok: false,
      refusal: {
        reason: "too-large",
        message:
          `The file is ${size}; this deployment accepts packages up to ${limit}.`,
      },
    };
  }
  return { ok: true, package: parsed.value };
}
