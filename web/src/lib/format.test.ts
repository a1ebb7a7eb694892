import { compareVersions, formatBytes, toDate, utcText } from "./format";

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1039)).toBe("1.0 KiB");
    expect(formatBytes(2048)).toBe("2.0 KiB");
    expect(formatBytes(104857600)).toBe("100 MiB");
    expect(formatBytes(undefined)).toBe("unknown size");
  });
});

describe("toDate", () => {
  it("reads ISO strings, epoch seconds and epoch milliseconds", () => {
    expect(utcText(toDate("2026-09-21T14:13:22Z")!)).toBe("2026-09-21 14:13:22 UTC");
    expect(utcText(toDate(1790000931)!)).toBe(utcText(toDate(1790000931000)!));
    expect(toDate("not a date")).toBeNull();
  });
});

describe("compareVersions", () => {
  it("orders numerically, pre-releases first", () => {
    const sorted = ["1.10", "1.2", "1.2.1", "1.2rc1", "2.0", "1.2.dev0"].sort(compareVersions);
    expect(sorted).toEqual(["1.2.dev0", "1.2rc1", "1.2", "1.2.1", "1.10", "2.0"]);
  });
});
