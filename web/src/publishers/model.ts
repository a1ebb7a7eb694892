// Trusted publishers: the form fields per provider (with help), the request body, and
// the CI snippet an owner pastes into the repository (docs/trusted-publishing.md).

export type Provider = "github" | "gitlab";

/** The API's Publisher (fields per provider; see rillet.core.oidc.Publisher.to_json). */
export interface PublisherLike {
  id: string;
  channel: string;
  provider: Provider | string;
  issuer: string;
  owner?: string | null;
  owner_id?: string | null;
  repository?: string | null;
  workflow?: string | null;
  namespace?: string | null;
  project?: string | null;
  config_path?: string | null;
  namespace_id?: string | null;
  project_id?: string | null;
  environment?: string | null;
  name_patterns?: string[];
  subdirs?: string[];
  created_by?: string;
  created_at?: string;
  last_used_at?: string | null;
}

export interface FieldSpec {
  key: string;
  label: string;
  help: string;
  required: boolean;
  placeholder?: string;
  /** A comma-separated list sent as an array. */
  list?: boolean;
  /** Only shown when the operator allows it (GitLab self-managed issuer). */
  advanced?: boolean;
}

export const GITHUB_FIELDS: FieldSpec[] = [
  {
    key: "owner",
    label: "Owner",
    help: "The GitHub user or organization that owns the repository, e.g. octo-org.",
    required: true,
    placeholder: "octo-org",
  },
  {
    key: "owner_id",
    label: "Owner id",
    help:
      "Recommended: the owner's numeric id, which stays the same if the name is renamed or taken over. " +
      "Find it at https://api.github.com/users/<owner> (the \"id\" field).",
    required: false,
    placeholder: "4242",
  },
  {
    key: "repository",
    label: "Repository",
    help: "The repository name without the owner, e.g. widgets.",
    required: true,
    placeholder: "widgets",
  },
  {
    key: "workflow",
    label: "Workflow file name",
    help: "The file name in .github/workflows/ of the workflow that uploads, e.g. release.yml.",
    required: true,
    placeholder: "release.yml",
  },
  {
    key: "environment",
    label: "Environment (optional)",
    help: "When set, only jobs that run in this GitHub environment may publish; use it to require reviews.",
    required: false,
    placeholder: "release",
  },
  {
    key: "name_patterns",
    label: "Package names (optional)",
    help: "Comma-separated names or patterns, e.g. widgets, widgets-*. Empty: any package name.",
    required: false,
    list: true,
    placeholder: "widgets, widgets-*",
  },
  {
    key: "subdirs",
    label: "Subdirs (optional)",
    help: "Comma-separated platforms, e.g. noarch, linux-64. Empty: any subdir.",
    required: false,
    list: true,
    placeholder: "noarch",
  },
];

export const GITLAB_FIELDS: FieldSpec[] = [
  {
    key: "namespace",
    label: "Namespace",
    help: "The group or user path the project lives in, e.g. grp or grp/subgroup.",
    required: true,
    placeholder: "grp",
  },
  {
    key: "project",
    label: "Project",
    help: "The project's path name, e.g. proj.",
    required: true,
    placeholder: "proj",
  },
  {
    key: "config_path",
    label: "CI config path",
    help: "The pipeline file, relative to the repository root; usually .gitlab-ci.yml.",
    required: true,
    placeholder: ".gitlab-ci.yml",
  },
  {
    key: "namespace_id",
    label: "Namespace id",
    help: "Recommended: the group's numeric id, shown on the group's page (Settings > General) and in the \"Copy group ID\" menu.",
    required: false,
  },
  {
    key: "project_id",
    label: "Project id",
    help: "Recommended: the project's numeric id, shown under the project name on its overview page.",
    required: false,
  },
  {
    key: "environment",
    label: "Environment (optional)",
    help: "When set, only jobs that deploy to this GitLab environment may publish.",
    required: false,
    placeholder: "release",
  },
  {
    key: "name_patterns",
    label: "Package names (optional)",
    help: "Comma-separated names or patterns, e.g. proj, proj-*. Empty: any package name.",
    required: false,
    list: true,
  },
  {
    key: "subdirs",
    label: "Subdirs (optional)",
    help: "Comma-separated platforms, e.g. noarch, linux-64. Empty: any subdir.",
    required: false,
    list: true,
  },
  {
    key: "issuer",
    label: "Self-managed GitLab URL (optional)",
    help: "Only for a self-managed GitLab, e.g. https://gitlab.example.com; the operator must have enabled it. Empty: gitlab.com.",
    required: false,
    advanced: true,
  },
];

export function fieldsFor(provider: Provider): FieldSpec[] {
  return provider === "github" ? GITHUB_FIELDS : GITLAB_FIELDS;
}

export function splitList(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

export type FormValues = Record<string, string>;

/** The missing required fields, by label; empty when the form can be sent. */
export function missingFields(provider: Provider, values: FormValues): string[] {
  return fieldsFor(provider)
    .filter((field) => field.required && !(values[field.key] ?? "").trim())
    .map((field) => field.label);
}

/** The PublisherCreate body: blank optional fields left out, lists split. */
export function publisherBody(provider: Provider, values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = { provider };
  for (const field of fieldsFor(provider)) {
    const raw = (values[field.key] ?? "").trim();
    if (!raw) continue;
    body[field.key] = field.list ? splitList(raw) : raw;
  }
  return body;
}

/** A one-line name for a publisher: octo-org/widgets, release.yml. */
export function publisherTitle(publisher: PublisherLike): string {
  if (publisher.provider === "github") {
    return `${publisher.owner ?? ""}/${publisher.repository ?? ""} (.github/workflows/${publisher.workflow ?? ""})`;
  }
  return `${publisher.namespace ?? ""}/${publisher.project ?? ""} (${publisher.config_path ?? ""})`;
}

// -- snippets ------------------------------------------------------------------------

export interface SnippetContext {
  /** The deployment's origin, e.g. https://conda.example.com (Rillet is served at its root). */
  origin: string;
  channel: string;
}

/** GitLab names the ID token variable after the audience: upper-cased, non-alphanumerics as _. */
export function gitlabTokenVariable(audience: string): string {
  return `${audience.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_ID_TOKEN`;
}

function quoteYaml(value: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(value) ? value : JSON.stringify(value);
}

/** The workflow file to commit as .github/workflows/<workflow>. */
export function githubSnippet(publisher: PublisherLike, context: SnippetContext): string {
  const url = context.origin.replace(/\/+$/, "");
  const subdir = publisher.subdirs?.length === 1 ? publisher.subdirs[0] : null;
  const lines = [
    `# .github/workflows/${publisher.workflow ?? "release.yml"}`,
    "name: Publish conda packages",
    "on:",
    "  push:",
    "    tags: ['v*']",
    "jobs:",
    "  publish:",
    "    runs-on: ubuntu-latest",
  ];
  if (publisher.environment) lines.push(`    environment: ${quoteYaml(publisher.environment)}`);
  lines.push(
    "    permissions:",
    "      contents: read",
    "      id-token: write  # lets the job prove who it is to Rillet; no secret is stored",
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      - uses: prefix-dev/setup-pixi@v0.8.1",
    "        with:",
    "          run-install: false",
    "      - run: pixi exec rattler-build build --recipe recipe" +
      (subdir ? ` --target-platform ${subdir}` : ""),
    `      - run: pixi exec rattler-build upload prefix --url ${url} --channel ${context.channel} output/*/*.conda`,
  );
  return lines.join("\n") + "\n";
}

/** The job to add to the project's CI config. */
export function gitlabSnippet(publisher: PublisherLike, context: SnippetContext): string {
  const url = context.origin.replace(/\/+$/, "");
  const audience = new URL(url).hostname;
  const lines = [`# ${publisher.config_path ?? ".gitlab-ci.yml"}`, "publish-conda:", "  image: ghcr.io/prefix-dev/pixi:latest"];
  if (publisher.environment) lines.push(`  environment: ${quoteYaml(publisher.environment)}`);
  lines.push(
    "  id_tokens:",
    `    ${gitlabTokenVariable(audience)}:  # lets the job prove who it is to Rillet; no secret is stored`,
    `      aud: ${audience}`,
    "  script:",
    "    - pixi exec rattler-build build --recipe recipe",
    `    - pixi exec rattler-build upload prefix --url ${url} --channel ${context.channel} output/*/*.conda`,
    "  rules:",
    "    - if: $CI_COMMIT_TAG",
  );
  return lines.join("\n") + "\n";
}

export function snippetFor(publisher: PublisherLike, context: SnippetContext): string {
  return publisher.provider === "gitlab" ? gitlabSnippet(publisher, context) : githubSnippet(publisher, context);
}
