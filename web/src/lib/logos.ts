// What the API accepts as an uploaded channel logo (core/logos.py): PNG, JPEG or WebP,
// recognised by the first bytes, at most 256 KiB. Checked here first, so a person hears
// why before anything is sent; the API checks again and has the last word.

export const MAX_LOGO_BYTES = 256 * 1024;
export const LOGO_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export const LOGO_ACCEPT = LOGO_TYPES.join(",");

/** image/png, image/jpeg or image/webp by the magic bytes at the start, else null. */
export function sniffImageType(head: Uint8Array): (typeof LOGO_TYPES)[number] | null {
  const starts = (bytes: number[], at = 0) => bytes.every((b, i) => head[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (head.length >= 12 && starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/** Why `file` cannot be a logo, in words; null if it can. */
export async function logoFileProblem(file: File): Promise<string | null> {
  if (file.size === 0) return "This file is empty.";
  if (file.size > MAX_LOGO_BYTES) {
    return `A logo may be at most ${MAX_LOGO_BYTES / 1024} KiB; this file is ${Math.ceil(file.size / 1024)} KiB.`;
  }
  const notImage = "A logo must be a PNG, JPEG or WebP image.";
  if (file.type && !(LOGO_TYPES as readonly string[]).includes(file.type)) return notImage;
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  if (!sniffImageType(head)) return `${notImage} This file's content is not one.`;
  return null;
}
