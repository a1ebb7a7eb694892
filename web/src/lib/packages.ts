// From the API's list of package files to what the channel and package pages show
// (pure: tested).
import type { Api } from "../api/client";
import type { PackageExtras, PackageFile } from "../api/types";
import { compareVersions } from "./format";

export type File = PackageFile & PackageExtras;

export interface PackageSummary {
  name: string;
  latestVersion: string;
  subdirs: string[];
  files: number;
  size: number;
  /** epoch ms of the newest upload we can tell */
  lastUpload: number | null;
  summary: string;
  allYanked: boolean;
}

/** When a file was uploaded, as epoch ms: the upload time, else when it was indexed, else built. */
export function uploadedAt(f: File): number | null {
  if (typeof f.uploaded_at === "string") {
    const t = Date.parse(f.uploaded_at);
    if (!Number.isNaN(t)) return t;
  }
  const ts = typeof f.indexed_timestamp === "number" ? f.indexed_timestamp : typeof f.timestamp === "number" ? f.timestamp : null;
  if (ts === null) return null;
  return ts < 1e11 ? ts * 1000 : ts;
}

export function summaryOf(f: File): string {
  return (f.about?.summary ?? (typeof f.summary === "string" ? f.summary : "") ?? "").trim();
}

/** Newest first: by version, then build number, then upload time. */
export function compareFilesNewestFirst(a: File, b: File): number {
  return (
    compareVersions(b.version, a.version) ||
    (b.build_number ?? 0) - (a.build_number ?? 0) ||
    (uploadedAt(b) ?? 0) - (uploadedAt(a) ?? 0) ||
    a.filename.localeCompare(b.filename)
  );
}

/** One row per package name (case-insensitively, as conda looks names up). */
export function summarizePackages(files: readonly File[]): PackageSummary[] {
  const groups = new Map<string, File[]>();
  for (const f of files) {
    const key = f.name.toLowerCase();
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const out: PackageSummary[] = [];
  for (const list of groups.values()) {
    const live = list.filter((f) => !f.yanked);
    const newest = [...(live.length ? live : list)].sort(compareFilesNewestFirst)[0]!;
    const times = list.map(uploadedAt).filter((t): t is number => t !== null);
    out.push({
      name: newest.name,
      latestVersion: newest.version,
      subdirs: [...new Set(list.map((f) => f.subdir))].sort(),
      files: list.length,
      size: list.reduce((n, f) => n + (f.size ?? 0), 0),
      lastUpload: times.length ? Math.max(...times) : null,
      summary: list.map(summaryOf).find(Boolean) ?? "",
      allYanked: live.length === 0,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface VersionGroup {
  version: string;
  /** subdir -> files, newest build first */
  bySubdir: [string, File[]][];
  yanked: boolean;
}

export function groupVersions(files: readonly File[]): VersionGroup[] {
  const sorted = [...files].sort(compareFilesNewestFirst);
  const versions = new Map<string, File[]>();
  for (const f of sorted) {
    const list = versions.get(f.version);
    if (list) list.push(f);
    else versions.set(f.version, [f]);
  }
  return [...versions.entries()].map(([version, list]) => {
    const bySubdir = new Map<string, File[]>();
    for (const f of list) {
      const l = bySubdir.get(f.subdir);
      if (l) l.push(f);
      else bySubdir.set(f.subdir, [f]);
    }
    return {
      version,
      bySubdir: [...bySubdir.entries()].sort(([a], [b]) => a.localeCompare(b)),
      yanked: list.every((f) => f.yanked),
    };
  });
}

/** Most files the pages read from one channel (1000 per page). */
export const MAX_FILES = 10_000;

/** Every file of a channel (or of one package name), following cursors up to MAX_FILES. */
export async function fetchAllFiles(
  api: Api,
  channel: string,
  query: { name?: string } = {},
  signal?: AbortSignal,
): Promise<{ files: File[]; truncated: boolean }> {
  const files: File[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.listPackages(channel, { ...query, limit: 1000, cursor }, signal);
    files.push(...(page.packages as File[]));
    cursor = page.cursor;
    if (page.packages.length === 0) break;
  } while (cursor && files.length < MAX_FILES);
  return { files, truncated: cursor !== null && files.length >= MAX_FILES };
}
