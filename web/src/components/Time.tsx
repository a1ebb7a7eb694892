import { localText, toDate, utcText } from "../lib/format";

/** A time in the viewer's zone; the exact UTC time on hover (title) and in dateTime. */
export function Time({ value, fallback = "—" }: { value: string | number | null | undefined; fallback?: string }) {
  const d = toDate(value);
  if (!d) return <>{fallback}</>;
  return (
    <time dateTime={d.toISOString()} title={utcText(d)}>
      {localText(d)}
    </time>
  );
}
