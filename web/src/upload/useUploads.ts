// The upload page's state: one entry per chosen file, each driven by uploadFile().
import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import { ApiError } from "../api/errors";
import { parsePackageFilename } from "./filename";
import { uploadFile, runLimited, type ApiRefusal, type FileState, type UploadDeps } from "./pipeline";
import { putFile } from "./put";
import { sha256OfBlob } from "./sha256";

export interface UploadEntry {
  key: number;
  file: File;
  state: FileState;
  /** from the filename, for the install line */
  packageName: string | null;
  /** uploadFile() has returned: nothing more will change */
  finished: boolean;
}

/** At most this many files hash and transfer at once; the rest wait their turn. */
export const PARALLEL_UPLOADS = 3;

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

export function refusalOf(error: unknown): ApiRefusal {
  if (error instanceof ApiError) {
    return {
      code: error.code,
      message: error.message,
      transient: TRANSIENT.has(error.status) || error.code === "network-error",
    };
  }
  if (error instanceof TypeError) {
    return { code: "network-error", message: "Could not reach the server.", transient: true };
  }
  return { code: "failed", message: error instanceof Error ? error.message : String(error), transient: false };
}

export function apiUploadDeps(api: Api, channel: string): UploadDeps {
  return {
    requestUpload: (body) => api.createUpload(channel, body),
    uploadStatus: (id) => api.uploadStatus(channel, id),
    hash: (file, options) => sha256OfBlob(file, options),
    put: (ticket, file, options) => putFile(ticket, file, options),
    refusalOf,
  };
}

export function useUploads(deps: UploadDeps, maxBytes: number | null, force: boolean) {
  const [entries, setEntries] = useState<UploadEntry[]>([]);
  const nextKey = useRef(1);
  const controller = useRef(new AbortController());
  // Leaving the page stops the transfers (the server-side validation of sent files goes on).
  useEffect(() => {
    const current = controller.current;
    return () => current.abort();
  }, []);

  const add = useCallback(
    (files: readonly File[]) => {
      if (files.length === 0) return;
      const added = files.map<UploadEntry>((file) => ({
        key: nextKey.current++,
        file,
        state: { phase: "queued" },
        packageName: packageNameOf(file.name),
        finished: false,
      }));
      setEntries((old) => [...old, ...added]);
      const update = (key: number, change: Partial<UploadEntry>) =>
        setEntries((old) => old.map((entry) => (entry.key === key ? { ...entry, ...change } : entry)));
      const tasks = added.map((entry) => async () => {
        const result = await uploadFile(
          entry.file,
          deps,
          { maxBytes, force, signal: controller.current.signal },
          (state) => update(entry.key, { state }),
        );
        update(entry.key, { state: result.state, finished: true });
      });
      void runLimited(tasks, PARALLEL_UPLOADS);
    },
    [deps, maxBytes, force],
  );

  const clearFinished = useCallback(() => {
    setEntries((old) => old.filter((entry) => !entry.finished));
  }, []);

  return { entries, add, clearFinished };
}

function packageNameOf(filename: string): string | null {
  const parsed = parsePackageFilename(filename);
  return parsed.ok ? parsed.value.name : null;
}
