import { describe, expect, it } from "vitest";
import { logoFileProblem, sniffImageType } from "./logos";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe("logo files", () => {
  it("recognises PNG, JPEG and WebP by their first bytes, like the API", () => {
    expect(sniffImageType(bytes([0x89], "PNG\r\n\x1a\n"))).toBe("image/png");
    expect(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(bytes("RIFF", [1, 2, 3, 4], "WEBP"))).toBe("image/webp");
    expect(sniffImageType(bytes("RIFF", [1, 2, 3, 4], "WAVE"))).toBeNull();
    expect(sniffImageType(bytes("<svg"))).toBeNull();
    expect(sniffImageType(bytes())).toBeNull();
  });

  it("says why a file cannot be a logo", async () => {
    expect(await logoFileProblem(new File([], "empty.png", { type: "image/png" }))).toBe("This file is empty.");
    expect(await logoFileProblem(new File([bytes([0xff, 0xd8, 0xff])], "x.jpg", { type: "" }))).toBeNull();
    expect(await logoFileProblem(new File([new Uint8Array(256 * 1024 + 1)], "x.png", { type: "image/png" }))).toBe(
      "A logo may be at most 256 KiB; this file is 257 KiB.",
    );
  });
});
