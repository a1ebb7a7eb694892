import { describe, expect, it } from "vitest";
import {
  githubSnippet,
  gitlabSnippet,
  gitlabTokenVariable,
  missingFields,
  publisherBody,
  publisherTitle,
  snippetFor,
  type PublisherLike,
} from "./model";

const github: PublisherLike = {
  id: "pub_1",
  channel: "mychan",
  provider: "github",
  issuer: "https://token.actions.githubusercontent.com",
  owner: "octo-org",
  owner_id: "4242",
  repository: "widgets",
  workflow: "release.yml",
  environment: "release",
  name_patterns: ["widgets*"],
  subdirs: ["noarch"],
};

const gitlab: PublisherLike = {
  id: "pub_2",
  channel: "mychan",
  provider: "gitlab",
  issuer: "https://gitlab.com",
  namespace: "grp",
  project: "proj",
  config_path: ".gitlab-ci.yml",
  environment: null,
};

const context = { origin: "https://conda.example.com", channel: "mychan" };

describe("publisherBody", () => {
  it("sends the filled fields, lists split, blanks left out", () => {
    expect(
      publisherBody("github", {
        owner: " octo-org ",
        owner_id: "",
        repository: "widgets",
        workflow: "release.yml",
        name_patterns: "widgets, widgets-*",
        subdirs: "noarch linux-64",
        namespace: "ignored: not a GitHub field",
      }),
    ).toEqual({
      provider: "github",
      owner: "octo-org",
      repository: "widgets",
      workflow: "release.yml",
      name_patterns: ["widgets", "widgets-*"],
      subdirs: ["noarch", "linux-64"],
    });
  });

  it("names the required fields still empty, by label", () => {
    expect(missingFields("github", { owner: "o" })).toEqual(["Repository", "Workflow file name"]);
    expect(missingFields("gitlab", { namespace: "g", project: "p", config_path: ".gitlab-ci.yml" })).toEqual([]);
  });
});

describe("snippets", () => {
  it("GitHub: asks for id-token: write, runs in the environment, uploads to this host and channel", () => {
    const text = githubSnippet(github, context);
    expect(text).toContain("# .github/workflows/release.yml");
    expect(text).toContain("      id-token: write");
    expect(text).toContain("    environment: release");
    expect(text).toContain(
      "rattler-build upload prefix --url https://conda.example.com --channel mychan output/*/*.conda",
    );
    expect(text).toContain("--target-platform noarch");
    expect(text).not.toMatch(/api-key|secret:/i);
  });

  it("GitHub without an environment has no environment line", () => {
    expect(githubSnippet({ ...github, environment: null, subdirs: [] }, context)).not.toContain("environment:");
  });

  it("GitLab: an ID token whose audience is the host name, in the variable rattler-build reads", () => {
    const text = gitlabSnippet(gitlab, { origin: "https://conda.example.com:8443/", channel: "mychan" });
    expect(text).toContain("    CONDA_EXAMPLE_COM_ID_TOKEN:");
    expect(text).toContain("      aud: conda.example.com\n");
    expect(text).toContain("--url https://conda.example.com:8443 --channel mychan");
    expect(text).not.toContain("environment:");
  });

  it("picks the snippet by provider", () => {
    expect(snippetFor(gitlab, context)).toContain("id_tokens:");
    expect(snippetFor(github, context)).toContain("permissions:");
  });

  it("quotes an environment YAML would misread", () => {
    expect(githubSnippet({ ...github, environment: "prod: eu" }, context)).toContain('environment: "prod: eu"');
  });

  it("names the variable as the docs say", () => {
    expect(gitlabTokenVariable("127.0.0.1")).toBe("127_0_0_1_ID_TOKEN");
  });
});

describe("publisherTitle", () => {
  it("names the repository and workflow, or project and config path", () => {
    expect(publisherTitle(github)).toBe("octo-org/widgets (.github/workflows/release.yml)");
    expect(publisherTitle(gitlab)).toBe("grp/proj (.gitlab-ci.yml)");
  });
});
