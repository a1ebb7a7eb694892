// Formatting for people (pure: tested).

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "unknown size";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** A Date from an ISO string, epoch seconds (< 1e11) or epoch milliseconds. */
export function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = typeof value === "number" ? new Date(value < 1e11 ? value * 1000 : value) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The exact UTC time, e.g. 2026-09-21 14:13:22 UTC. */
export function utcText(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function localText(d: Date, locale?: string): string {
  return d.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Compare conda versions well enough to order a package's versions newest first. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) =>
    v
      .toLowerCase()
      .replace(/^\d+!/, "")
      .split(/[._+-]/)
      .flatMap((part) => part.match(/\d+|[a-z]+/g) ?? []);
  const pa = split(a);
  const pb = split(b);
  const rank = (s: string | undefined): [number, number | string] => {
    if (s === undefined) return [1, 0]; // nothing more: after pre-releases, before numbers
    if (/^\d+$/.test(s)) return [2, Number(s)];
    if (s === "post") return [3, 0];
    if (s === "dev") return [-1, 0];
    return [0, s];
  };
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const [ka, va] = rank(pa[i]);
    const [kb, vb] = rank(pb[i]);
    if (ka !== kb) return ka - kb;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}
