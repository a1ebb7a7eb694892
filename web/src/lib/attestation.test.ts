import { describe, expect, it } from "vitest";
import type { Attestation } from "../api/types";
import { describeAttestation, logEntryUrl, refParts, runUrl, shortCommit, sigsPath } from "./attestation";

// The API model's example (api/models/packages.py Attestation).
const github: Attestation = {
  provider: "github",
  issuer: "https://token.actions.githubusercontent.com",
  identity: "https://github.com/acme/alpha/.github/workflows/release.yml@refs/tags/v1.0",
  repository: "acme/alpha",
  workflow: ".github/workflows/release.yml",
  ref: "refs/tags/v1.0",
  commit: "193b5bd7d3985809503963ae400594ea16df31cf",
  run: "https://github.com/acme/alpha/actions/runs/17377272645/attempts/1",
  target_channel: "https://conda.example.org/mychan",
  log_index: 456061810,
  integrated_time: "2026-11-30T12:00:00Z",
  sigs: "mychan/noarch/alpha-1.0-h0_0.conda.sigs",
};

const gitlab: Attestation = {
  ...github,
  provider: "gitlab",
  issuer: "https://gitlab.com",
  identity: "https://gitlab.com/acme/tools/alpha//.gitlab-ci.yml@refs/heads/main",
  repository: "acme/tools/alpha",
  workflow: ".gitlab-ci.yml",
  ref: "refs/heads/main",
  run: "https://gitlab.com/acme/tools/alpha/-/jobs/4242",
};

const google: Attestation = {
  ...github,
  provider: "google",
  issuer: "https://accounts.google.com",
  identity: "release@acme-ci.iam.gserviceaccount.com",
  repository: null,
  workflow: null,
  ref: null,
  commit: null,
  run: null,
};

describe("describeAttestation", () => {
  it("says who signed, from which workflow, at which commit (shortened, full kept)", () => {
    const v = describeAttestation(github, "mychan");
    expect(v.headline).toBe("attested by acme/alpha .github/workflows/release.yml at 193b5bd");
    expect(v.repository).toEqual({ text: "acme/alpha", href: "https://github.com/acme/alpha" });
    expect(v.commit).toEqual({
      text: "193b5bd",
      full: "193b5bd7d3985809503963ae400594ea16df31cf",
      href: "https://github.com/acme/alpha/commit/193b5bd7d3985809503963ae400594ea16df31cf",
    });
    expect(v.ref).toEqual({ label: "tag", name: "v1.0" });
    expect(v.run).toBe("https://github.com/acme/alpha/actions/runs/17377272645/attempts/1");
    expect(v.signedAt).toBe("2026-11-30T12:00:00Z");
    expect(v.logEntry).toEqual({ text: "#456061810", href: "https://search.sigstore.dev/?logIndex=456061810" });
    expect(v.sigs).toBe("/mychan/noarch/alpha-1.0-h0_0.conda.sigs");
  });

  it("links GitLab projects on the issuer's host, subgroups included", () => {
    const v = describeAttestation(gitlab, "mychan");
    expect(v.headline).toBe("attested by acme/tools/alpha .gitlab-ci.yml at 193b5bd");
    expect(v.repository?.href).toBe("https://gitlab.com/acme/tools/alpha");
    expect(v.commit?.href).toBe("https://gitlab.com/acme/tools/alpha/-/commit/193b5bd7d3985809503963ae400594ea16df31cf");
    expect(v.run).toBe("https://gitlab.com/acme/tools/alpha/-/jobs/4242");
    expect(v.ref).toEqual({ label: "branch", name: "main" });
    const selfManaged = describeAttestation({ ...gitlab, issuer: "https://git.example.org", run: "https://git.example.org/acme/tools/alpha/-/jobs/1" }, "mychan");
    expect(selfManaged.repository?.href).toBe("https://git.example.org/acme/tools/alpha");
    expect(selfManaged.run).toBe("https://git.example.org/acme/tools/alpha/-/jobs/1");
  });

  it("names a Google service account by its email, with nothing to link", () => {
    const v = describeAttestation(google, "mychan");
    expect(v.headline).toBe("attested by release@acme-ci.iam.gserviceaccount.com");
    expect(v.identity).toBe("release@acme-ci.iam.gserviceaccount.com");
    expect(v.repository).toBeNull();
    expect(v.commit).toBeNull();
    expect(v.run).toBeNull();
  });

  it("never links a URL from the API that is not https on the provider's own host", () => {
    for (const run of [
      "javascript:alert(1)",
      "JavaScript:alert(1)//https://github.com/acme/alpha/",
      "data:text/html,hi",
      "http://github.com/acme/alpha/actions/runs/1",
      "https://github.com.evil.example/acme/alpha/actions/runs/1",
      "https://evil.example/acme/alpha/actions/runs/1",
      "https://user:pw@github.com/acme/alpha/actions/runs/1",
      "https://github.com/someone/else/actions/runs/1",
      "//github.com/acme/alpha/actions/runs/1",
      "",
    ]) {
      expect(runUrl({ ...github, run }), run).toBeNull();
    }
    // The repository comes from the certificate: one that is not a plain name is not linked.
    for (const repository of ["javascript:alert(1)", "../../evil", "acme/alpha?x=1", "evil.example/x/../y", "acme", "a/b/c"]) {
      const v = describeAttestation({ ...github, repository }, "mychan");
      expect(v.repository?.href, repository).toBeNull();
      expect(v.commit?.href, repository).toBeNull();
      expect(v.run, repository).toBeNull();
    }
    // A GitLab issuer that is not https names no host to link to.
    for (const issuer of ["http://gitlab.com", "javascript:alert(1)", "gitlab.com"]) {
      const v = describeAttestation({ ...gitlab, issuer, run: `${issuer}/acme/tools/alpha/-/jobs/1` }, "mychan");
      expect(v.repository?.href, issuer).toBeNull();
      expect(v.run, issuer).toBeNull();
    }
    // A commit that is not a hash is shown as given, not linked.
    const odd = describeAttestation({ ...github, commit: "main\"><script>" }, "mychan");
    expect(odd.commit).toEqual({ text: "main\"><script>", full: "main\"><script>", href: null });
  });

  it("falls back to the certificate's identity when repository and workflow are unknown", () => {
    const v = describeAttestation({ ...github, repository: null, workflow: null, commit: null }, "mychan");
    expect(v.headline).toBe(`attested by ${github.identity}`);
  });
});

describe("the parts", () => {
  it("shortens hashes only", () => {
    expect(shortCommit("193b5bd7d3985809503963ae400594ea16df31cf")).toBe("193b5bd");
    expect(shortCommit("v1.0")).toBe("v1.0");
  });

  it("says tags and branches in words", () => {
    expect(refParts("refs/tags/v2.1.0")).toEqual({ label: "tag", name: "v2.1.0" });
    expect(refParts("refs/heads/release/2")).toEqual({ label: "branch", name: "release/2" });
    expect(refParts("refs/pull/7/merge")).toEqual({ label: "ref", name: "refs/pull/7/merge" });
    expect(refParts("refs/tags/")).toEqual({ label: "ref", name: "refs/tags/" });
    expect(refParts(null)).toBeNull();
  });

  it("builds the log search link from a plain entry number only", () => {
    expect(logEntryUrl(0)).toBe("https://search.sigstore.dev/?logIndex=0");
    expect(logEntryUrl(-1)).toBeNull();
    expect(logEntryUrl(1.5)).toBeNull();
    expect(logEntryUrl(Number.MAX_SAFE_INTEGER + 2)).toBeNull();
    expect(logEntryUrl(null)).toBeNull();
  });

  it("links the .sigs document only as a path of this channel on this site", () => {
    expect(sigsPath("mychan/linux-64/a-1-0.conda.sigs", "mychan")).toBe("/mychan/linux-64/a-1-0.conda.sigs");
    expect(sigsPath(`mychan/noarch/a-1-0.tar.bz2.sigs.${"ab".repeat(32)}`, "mychan")).toBe(`/mychan/noarch/a-1-0.tar.bz2.sigs.${"ab".repeat(32)}`);
    for (const sigs of [
      "https://evil.example/mychan/noarch/a.sigs",
      "javascript:alert(1)//.sigs",
      "/mychan/noarch/a-1-0.conda.sigs",
      "//evil.example/mychan/a.sigs",
      "other/noarch/a-1-0.conda.sigs",
      "mychan/../other/a-1-0.conda.sigs",
      "mychan/noarch/a-1-0.conda",
      "mychan/noarch/a b.sigs",
      "",
    ]) {
      expect(sigsPath(sigs, "mychan"), sigs).toBeNull();
    }
  });
});
