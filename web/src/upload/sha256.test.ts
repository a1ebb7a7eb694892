import { describe, expect, it } from "vitest";
import { sha256OfBlob, toHex, type SliceSource } from "./sha256";

/** A source that records every slice asked for, to prove the file is read in pieces. */
function recordingSource(bytes: Uint8Array): SliceSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    size: bytes.length,
    reads,
    slice(start: number, end: number) {
      reads.push(end - start);
      return { arrayBuffer: async () => bytes.slice(start, end).buffer };
    },
  };
}

function pseudoRandom(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("sha256OfBlob", () => {
  it("equals the SHA-256 of the whole file, read in slices no larger than asked", async () => {
    const bytes = pseudoRandom(1_000_003);
    const source = recordingSource(bytes);
    const progress: number[] = [];
    const hex = await sha256OfBlob(source, {
      sliceBytes: 65536,
      onProgress: (done) => progress.push(done),
    });
    // WebCrypto hashes the whole buffer at once: the reference for the sliced hash.
    const whole = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
    expect(hex).toBe(toHex(whole));
    expect(Math.max(...source.reads)).toBe(65536);
    expect(source.reads.length).toBe(Math.ceil(bytes.length / 65536));
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it("hashes a real Blob", async () => {
    const blob = new Blob([new TextEncoder().encode("abc")]);
    expect(await sha256OfBlob(blob, { sliceBytes: 2 })).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("refuses a file that shrank while it was read", async () => {
    const source: SliceSource = {
      size: 10,
      slice: () => ({ arrayBuffer: async () => new ArrayBuffer(3) }),
    };
    await expect(sha256OfBlob(source, { sliceBytes: 5 })).rejects.toThrow(/changed/);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      sha256OfBlob(recordingSource(new Uint8Array(10)), { signal: controller.signal }),
    ).rejects.toThrow();
  });
});
