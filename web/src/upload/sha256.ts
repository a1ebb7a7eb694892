// SHA-256 of a File read in slices: only one slice is in memory at a time, so a
// package of the deployment's largest size never has to fit in the page at once.
//
// WebCrypto's digest() takes the whole input, so an incremental hash comes from
// @noble/hashes: audited, maintained, and plain JavaScript. A WebAssembly hasher would
// need 'wasm-unsafe-eval' in the Content-Security-Policy, which the app's strict
// policy (script-src 'self') does not allow.
import { sha256 } from "@noble/hashes/sha2.js";

// 1 MiB: small enough that hashing one slice never holds the page for long (the hash
// runs on the main thread, and each slice's read lets the page draw its progress).
export const DEFAULT_SLICE_BYTES = 1024 * 1024;

/** What the hasher reads: a Blob (a File is one). */
export interface SliceSource {
  size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export interface HashOptions {
  sliceBytes?: number;
  /** Called after each slice with the bytes hashed so far. */
  onProgress?: (hashed: number, total: number) => void;
  signal?: AbortSignal;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** Lower-case hex SHA-256 of `source`, read `sliceBytes` at a time. */
export async function sha256OfBlob(source: SliceSource, options: HashOptions = {}): Promise<string> {
  const step = options.sliceBytes ?? DEFAULT_SLICE_BYTES;
  if (!(step > 0)) throw new RangeError("sliceBytes must be positive");
  const hash = sha256.create();
  let offset = 0;
  while (offset < source.size) {
    options.signal?.throwIfAborted();
    const end = Math.min(offset + step, source.size);
    const chunk = new Uint8Array(await source.slice(offset, end).arrayBuffer());
    if (chunk.length !== end - offset) {
      // A file changed on disk after it was chosen: its hash would not be the bytes sent.
      throw new Error("the file changed while it was being read; choose it again");
    }
    hash.update(chunk);
    offset = end;
    options.onProgress?.(offset, source.size);
  }
  return toHex(hash.digest());
}
