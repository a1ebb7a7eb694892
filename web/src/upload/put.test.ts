import { describe, expect, it } from "vitest";
import { headersToSend, putFile, PutError, storageErrorMessage } from "./put";

/** Just enough of XMLHttpRequest to see what putFile sends and to answer it. */
class FakeXhr {
  method = "";
  url = "";
  headers: [string, string][] = [];
  body: unknown = null;
  status = 0;
  responseText = "";
  private listeners: Record<string, ((event: unknown) => void)[]> = {};
  private uploadListeners: Record<string, ((event: unknown) => void)[]> = {};
  upload = {
    addEventListener: (type: string, fn: (event: unknown) => void) => {
      (this.uploadListeners[type] ??= []).push(fn);
    },
  };
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers.push([name, value]);
  }
  addEventListener(type: string, fn: (event: unknown) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.fire("abort");
  }
  progress(loaded: number, total: number) {
    for (const fn of this.uploadListeners.progress ?? []) fn({ loaded, total, lengthComputable: true });
  }
  fire(type: string) {
    for (const fn of this.listeners[type] ?? []) fn({});
  }
  answer(status: number, text = "") {
    this.status = status;
    this.responseText = text;
    this.fire("load");
  }
}

const ticket = {
  url: "https://storage.example/uploads/abc?X-Amz-Signature=1",
  method: "PUT",
  headers: {
    "Content-Type": "application/octet-stream",
    "Content-Length": "3",
    "x-amz-checksum-sha256": "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
  },
};

function start(options: { signal?: AbortSignal } = {}) {
  const xhr = new FakeXhr();
  const progress: [number, number][] = [];
  const body = new Blob(["abc"]);
  const promise = putFile(ticket, body, {
    ...options,
    xhrFactory: () => xhr as unknown as XMLHttpRequest,
    onProgress: (sent, total) => progress.push([sent, total]),
  });
  return { xhr, progress, promise, body };
}

describe("putFile", () => {
  it("PUTs the file to the ticket's URL with its headers, except those the browser sets", async () => {
    const { xhr, promise, body } = start();
    expect(xhr.method).toBe("PUT");
    expect(xhr.url).toBe(ticket.url);
    expect(xhr.headers).toEqual([
      ["Content-Type", "application/octet-stream"],
      ["x-amz-checksum-sha256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="],
    ]);
    expect(xhr.body).toBe(body);
    xhr.answer(200);
    await expect(promise).resolves.toBeUndefined();
  });

  it("reports upload progress, ending at the whole size", async () => {
    const { xhr, progress, promise } = start();
    xhr.progress(1, 3);
    xhr.progress(2, 3);
    xhr.answer(200);
    await promise;
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it("turns a storage refusal into words", async () => {
    const { xhr, promise } = start();
    xhr.answer(400, "<Error><Code>BadDigest</Code><Message>x</Message></Error>");
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutError);
    expect((error as PutError).reason).toBe("storage-refused");
    expect((error as PutError).message).toMatch(/do not match the SHA-256/);
  });

  it("says when the connection failed", async () => {
    const { xhr, promise } = start();
    xhr.fire("error");
    await expect(promise).rejects.toMatchObject({ reason: "network-error" });
  });

  it("stops when cancelled", async () => {
    const controller = new AbortController();
    const { promise } = start({ signal: controller.signal });
    controller.abort();
    await expect(promise).rejects.toMatchObject({ reason: "cancelled" });
  });

  it("refuses a ticket for another method", async () => {
    await expect(putFile({ url: "x", method: "POST" }, new Blob([]))).rejects.toMatchObject({
      reason: "bad-ticket",
    });
  });
});

describe("headersToSend", () => {
  it("drops forbidden headers whatever their case", () => {
    expect(headersToSend({ "content-length": "1", Host: "x", "Sec-Fetch": "y", A: "b" })).toEqual([["A", "b"]]);
    expect(headersToSend(undefined)).toEqual([]);
  });
});

describe("storageErrorMessage", () => {
  it("explains an expired link and falls back to the status", () => {
    expect(
      storageErrorMessage(403, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"),
    ).toMatch(/expired/);
    expect(storageErrorMessage(500, "")).toBe("Storage refused the file (HTTP 500).");
  });
});
