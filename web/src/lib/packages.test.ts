import { groupVersions, summarizePackages, uploadedAt, type File } from "./packages";

function file(over: Partial<File>): File {
  return {
    subdir: "noarch",
    filename: `${over.name ?? "alpha"}-${over.version ?? "1.0"}-${over.build ?? "h0_0"}.conda`,
    name: "alpha",
    version: "1.0",
    build: "h0_0",
    build_number: 0,
    size: 100,
    yanked: null,
    ...over,
  } as File;
}

describe("summarizePackages", () => {
  it("gives each package its newest unyanked version, platforms, size and last upload", () => {
    const rows = summarizePackages([
      file({ version: "1.0", indexed_timestamp: 1790000001000 }),
      file({ version: "1.10", subdir: "linux-64", indexed_timestamp: 1790000003000, size: 50 }),
      file({ version: "2.0", yanked: { reason: "broken", by: "a", at: "2026-01-01T00:00:00Z" }, indexed_timestamp: 1790000002000 }),
      file({ name: "beta", version: "0.1", about: { summary: "Beta tools" } }),
    ]);
    expect(rows.map((r) => r.name)).toEqual(["alpha", "beta"]);
    const alpha = rows[0]!;
    expect(alpha.latestVersion).toBe("1.10");
    expect(alpha.subdirs).toEqual(["linux-64", "noarch"]);
    expect(alpha.files).toBe(3);
    expect(alpha.size).toBe(250);
    expect(alpha.lastUpload).toBe(1790000003000);
    expect(rows[1]!.summary).toBe("Beta tools");
  });

  it("still names a version when every file is yanked", () => {
    const [row] = summarizePackages([file({ yanked: { reason: "x", by: "a", at: "" } })]);
    expect(row!.allYanked).toBe(true);
    expect(row!.latestVersion).toBe("1.0");
  });
});

describe("groupVersions", () => {
  it("lists versions newest first, files grouped by subdir", () => {
    const groups = groupVersions([
      file({ version: "1.2", subdir: "noarch" }),
      file({ version: "1.10", subdir: "osx-arm64" }),
      file({ version: "1.10", subdir: "linux-64", build: "h1_1", build_number: 1 }),
      file({ version: "1.10", subdir: "linux-64", build: "h0_0", build_number: 0 }),
    ]);
    expect(groups.map((g) => g.version)).toEqual(["1.10", "1.2"]);
    expect(groups[0]!.bySubdir.map(([s, fs]) => [s, fs.map((f) => f.build)])).toEqual([
      ["linux-64", ["h1_1", "h0_0"]],
      ["osx-arm64", ["h0_0"]],
    ]);
  });
});

describe("uploadedAt", () => {
  it("prefers the upload time the API gives", () => {
    expect(uploadedAt(file({ uploaded_at: "2026-01-01T00:00:00Z", indexed_timestamp: 5 }))).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(uploadedAt(file({ timestamp: 1700000000 }))).toBe(1700000000000);
    expect(uploadedAt(file({}))).toBeNull();
  });
});
