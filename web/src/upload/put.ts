// The presigned PUT: the bytes go straight to storage with exactly the headers the
// upload ticket names (S3 checks the length and x-amz-checksum-sha256), never with the
// user's session. XMLHttpRequest, because fetch() reports no upload progress.

/** The part of the API's UploadTicket the PUT needs. */
export interface PutTicket {
  url: string;
  method?: string;
  headers?: Record<string, string>;
}

/** Headers a page may not set: the browser sends them itself (Content-Length from the Blob). */
const FORBIDDEN = new Set([
  "content-length",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "expect",
  "te",
  "trailer",
  "upgrade",
  "date",
  "origin",
  "referer",
  "cookie",
]);

export function headersToSend(headers: Record<string, string> | undefined): [string, string][] {
  return Object.entries(headers ?? {}).filter(
    ([name]) =>
      !FORBIDDEN.has(name.toLowerCase()) &&
      !name.toLowerCase().startsWith("sec-") &&
      !name.toLowerCase().startsWith("proxy-"),
  );
}

export class PutError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "PutError";
  }
}

/** S3 answers errors as XML: `<Code>BadDigest</Code><Message>...</Message>`. */
export function storageErrorMessage(status: number, body: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  if (code === "AccessDenied" && /expired/i.test(message ?? "")) {
    return "The upload link expired before the file was sent; upload the file again.";
  }
  if (code === "BadDigest" || code === "XAmzContentSHA256Mismatch" || code === "InvalidDigest") {
    return "Storage refused the bytes: they do not match the SHA-256 computed for this file (did it change on disk?).";
  }
  if (code || message) return `Storage refused the file (${code ?? status}): ${message ?? ""}`.trim();
  return `Storage refused the file (HTTP ${status}).`;
}

export interface PutOptions {
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  /** For tests; the browser's XMLHttpRequest otherwise. */
  xhrFactory?: () => XMLHttpRequest;
}

export function putFile(ticket: PutTicket, body: Blob, options: PutOptions = {}): Promise<void> {
  const method = (ticket.method ?? "PUT").toUpperCase();
  if (method !== "PUT") {
    return Promise.reject(new PutError("bad-ticket", `unexpected upload method ${method}`));
  }
  const xhr = options.xhrFactory ? options.xhrFactory() : new XMLHttpRequest();
  return new Promise<void>((resolve, reject) => {
    const abort = () => xhr.abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    const done = () => options.signal?.removeEventListener("abort", abort);
    xhr.open("PUT", ticket.url);
    for (const [name, value] of headersToSend(ticket.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      options.onProgress?.(event.loaded, event.lengthComputable ? event.total : body.size);
    });
    xhr.addEventListener("load", () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(body.size, body.size);
        resolve();
      } else {
        reject(
          new PutError("storage-refused", storageErrorMessage(xhr.status, xhr.responseText ?? ""), xhr.status),
        );
      }
    });
    xhr.addEventListener("error", () => {
      done();
      reject(
        new PutError(
          "network-error",
          "The file could not be sent: the connection failed or storage did not allow this site (CORS).",
        ),
      );
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(new PutError("cancelled", "The upload was cancelled."));
    });
    xhr.send(body);
  });
}
