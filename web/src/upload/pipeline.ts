// One file's way to the channel, independent of any UI framework:
// check -> hash -> ask for a presigned URL -> PUT with progress -> poll the status
// until published and indexed ("installable") or rejected. Each step reports a state;
// the page only draws them.
import type { UploadRequest } from "../api/types";
import { checkFile, type PackageFilename } from "./filename";
import { PutError, type PutOptions, type PutTicket } from "./put";
import type { HashOptions } from "./sha256";

export type FileState =
  | { phase: "queued" }
  | { phase: "hashing"; done: number; total: number }
  | { phase: "requesting" }
  | { phase: "sending"; done: number; total: number }
  | { phase: "validating" }
  | { phase: "published"; subdir: string | null }
  | { phase: "installable"; subdir: string | null }
  | { phase: "rejected"; reason: string; message: string }
  | { phase: "failed"; reason: string; message: string };

export type Phase = FileState["phase"];

export const FINAL_PHASES: ReadonlySet<Phase> = new Set(["installable", "rejected", "failed"]);

/** The API's UploadRequest. */
export type UploadRequestBody = UploadRequest;

/** The API's UploadTicket (what the page needs of it). */
export interface UploadTicketLike extends PutTicket {
  id: string;
  filename?: string;
}

/** The API's UploadStatus. */
export interface UploadStatusLike {
  status: string;
  subdir?: string | null;
  indexed?: boolean | null;
  reason?: string | null;
  message?: string | null;
}

/** An error the API answered: its reason code and message (see docs/api.md, Errors). */
export interface ApiRefusal {
  code: string;
  message: string;
  /** Worth trying again (network failure, 5xx, 429). */
  transient: boolean;
}

export interface UploadDeps {
  requestUpload(body: UploadRequestBody): Promise<UploadTicketLike>;
  uploadStatus(id: string): Promise<UploadStatusLike>;
  hash(file: Blob, options: HashOptions): Promise<string>;
  put(ticket: PutTicket, file: Blob, options: PutOptions): Promise<void>;
  /** Turn whatever the API client threw into a reason code and words. */
  refusalOf(error: unknown): ApiRefusal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export interface UploadOptions {
  maxBytes: number | null;
  force?: boolean;
  signal?: AbortSignal;
  /** Give up waiting for a verdict after this long (the upload itself goes on server-side). */
  verdictTimeoutMs?: number;
  /** Stop waiting for the index after this long: published, the index follows. */
  indexTimeoutMs?: number;
  firstPollMs?: number;
  maxPollMs?: number;
}

export interface UploadResult {
  state: FileState;
  package: PackageFilename | null;
  uploadId: string | null;
  sha256: string | null;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException("aborted", "AbortError"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function aborted(signal?: AbortSignal): boolean {
  return signal?.aborted === true;
}

const CANCELLED: FileState = { phase: "failed", reason: "cancelled", message: "The upload was cancelled." };

export async function uploadFile(
  file: File,
  deps: UploadDeps,
  options: UploadOptions,
  report: (state: FileState) => void,
): Promise<UploadResult> {
  const result: UploadResult = { state: { phase: "queued" }, package: null, uploadId: null, sha256: null };
  const set = (state: FileState): UploadResult => {
    result.state = state;
    report(state);
    return result;
  };
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? (() => Date.now());
  const { signal } = options;

  const checked = checkFile(file, options.maxBytes);
  if (!checked.ok) return set({ phase: "rejected", ...checked.refusal });
  result.package = checked.package;

  // 1. The hash, sliced.
  set({ phase: "hashing", done: 0, total: file.size });
  try {
    result.sha256 = await deps.hash(file, {
      signal,
      onProgress: (done, total) => report({ phase: "hashing", done, total }),
    });
  } catch (error) {
    if (aborted(signal)) return set(CANCELLED);
    const message = error instanceof Error ? error.message : String(error);
    return set({ phase: "failed", reason: "unreadable", message: `The file could not be read: ${message}` });
  }

  // 2. The presigned URL (the API checks name, size, permission; a refusal is final).
  set({ phase: "requesting" });
  let ticket: UploadTicketLike;
  try {
    const body: UploadRequestBody = { filename: file.name, sha256: result.sha256, size: file.size };
    if (options.force) body.force = true;
    ticket = await deps.requestUpload(body);
  } catch (error) {
    if (aborted(signal)) return set(CANCELLED);
    const refusal = deps.refusalOf(error);
    return set({ phase: refusal.transient ? "failed" : "rejected", reason: refusal.code, message: refusal.message });
  }
  result.uploadId = ticket.id;

  // 3. The bytes, straight to storage.
  set({ phase: "sending", done: 0, total: file.size });
  try {
    await deps.put(ticket, file, {
      signal,
      onProgress: (done, total) => report({ phase: "sending", done, total }),
    });
  } catch (error) {
    if (aborted(signal)) return set(CANCELLED);
    if (error instanceof PutError) return set({ phase: "failed", reason: error.reason, message: error.message });
    return set({ phase: "failed", reason: "network-error", message: String(error) });
  }

  // 4. The verdict: poll, quickly at first, then every few seconds.
  set({ phase: "validating" });
  const verdictDeadline = now() + (options.verdictTimeoutMs ?? 10 * 60_000);
  let indexDeadline: number | null = null;
  let interval = options.firstPollMs ?? 300;
  const maxInterval = options.maxPollMs ?? 2000;
  for (;;) {
    try {
      await sleep(interval, signal);
    } catch {
      return set(CANCELLED);
    }
    interval = Math.min(Math.round(interval * 1.5), maxInterval);
    let status: UploadStatusLike;
    try {
      status = await deps.uploadStatus(ticket.id);
    } catch (error) {
      if (aborted(signal)) return set(CANCELLED);
      const refusal = deps.refusalOf(error);
      if (refusal.transient && now() < verdictDeadline) continue;
      return set({ phase: "failed", reason: refusal.code, message: refusal.message });
    }
    if (status.status === "rejected") {
      return set({
        phase: "rejected",
        reason: status.reason ?? "rejected",
        message: status.message ?? "The channel refused this package.",
      });
    }
    if (status.status === "published") {
      const subdir = status.subdir ?? null;
      if (status.indexed !== false) return set({ phase: "installable", subdir });
      if (result.state.phase !== "published") set({ phase: "published", subdir });
      indexDeadline ??= now() + (options.indexTimeoutMs ?? 60_000);
      // Published for sure; the index normally follows within seconds.
      if (now() >= indexDeadline) return result;
      continue;
    }
    if (now() >= verdictDeadline) {
      return set({
        phase: "failed",
        reason: "timeout",
        message:
          "No verdict yet: the channel is still validating this package. Look at the channel page in a few minutes.",
      });
    }
  }
}

/** Run `tasks` with at most `limit` at a time; resolves when all have settled. */
export async function runLimited(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      if (task) await task().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}
