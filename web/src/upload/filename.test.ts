import { describe, expect, it } from "vitest";
import { checkFile, formatBytes, parsePackageFilename } from "./filename";

function reason(filename: string): string | null {
  const result = parsePackageFilename(filename);
  return result.ok ? null : result.refusal.reason;
}

describe("parsePackageFilename", () => {
  it("splits name, version and build; the name may contain dashes", () => {
    expect(parsePackageFilename("py-foo-bar-1.2.3-py_0.tar.bz2")).toEqual({
      ok: true,
      value: { name: "py-foo-bar", version: "1.2.3", build: "py_0", extension: ".tar.bz2" },
    });
    expect(parsePackageFilename("alpha-1.0-h0_0.conda")).toMatchObject({
      ok: true,
      value: { name: "alpha", extension: ".conda" },
    });
  });

  it("refuses what the server refuses, with its reason codes", () => {
    expect(reason("alpha-1.0-h0_0.zip")).toBe("unknown-extension");
    expect(reason(".conda")).toBe("unknown-extension");
    expect(reason("alpha-1.0.conda")).toBe("invalid-filename");
    expect(reason("-1.0-h0.conda")).toBe("invalid-filename");
    expect(reason("alpha--h0.conda")).toBe("invalid-filename");
    expect(reason("dir/alpha-1.0-h0.conda")).toBe("invalid-filename");
    expect(reason(`${"a".repeat(250)}-1-h0.conda`)).toBe("invalid-filename");
    expect(reason("al pha-1.0-h0.conda")).toBe("invalid-package-name");
    expect(reason("alpha-1..0-h0.conda")).toBe("invalid-version");
    expect(reason("alpha-.1-h0.conda")).toBe("invalid-version");
    expect(reason("alpha-1!2!3-h0.conda")).toBe("invalid-version");
    expect(reason("alpha-1.0-h0!.conda")).toBe("invalid-build");
    expect(reason("Alpha-1.0-h0_0.conda")).toBe("name-not-lowercase");
  });

  it("says what is wrong in words", () => {
    const result = parsePackageFilename("notes.txt");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.refusal.message).toMatch(/\.conda or \.tar\.bz2/);
  });
});

describe("checkFile", () => {
  it("accepts a well-named file within the limit", () => {
    expect(checkFile({ name: "alpha-1.0-h0_0.conda", size: 100 }, 100).ok).toBe(true);
    expect(checkFile({ name: "alpha-1.0-h0_0.conda", size: 10 ** 12 }, null).ok).toBe(true);
  });

  it("refuses a file over the deployment's limit, naming both sizes", () => {
    const result = checkFile({ name: "alpha-1.0-h0_0.conda", size: 104857601 }, 104857600);
    expect(result).toMatchObject({ ok: false, refusal: { reason: "too-large" } });
    if (!result.ok) {
      expect(result.refusal.message).toContain("104,857,601 bytes");
      expect(result.refusal.message).toContain("104,857,600 bytes");
    }
    const big = checkFile({ name: "alpha-1.0-h0_0.conda", size: 250 * 1024 * 1024 }, 104857600);
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.refusal.message).toBe(
      "The file is 250 MiB; this deployment accepts packages up to 100 MiB.",
    );
  });

  it("refuses an empty file and a bad name before looking at the size", () => {
    expect(checkFile({ name: "alpha-1.0-h0_0.conda", size: 0 }, 10)).toMatchObject({
      refusal: { reason: "empty-file" },
    });
    expect(checkFile({ name: "x.whl", size: 10 ** 9 }, 10)).toMatchObject({
      refusal: { reason: "unknown-extension" },
    });
  });
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1023)).toBe("1023 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(104857600)).toBe("100 MiB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2 GiB");
  });
});
