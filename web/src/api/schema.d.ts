/**
 * HAND-WRITTEN STAND-IN for the file `npm run gen:api` generates from /api/openapi.json
 * (openapi-typescript). It has the generated file's shape (`components["schemas"][Name]`,
 * the canonical schema names) and today's JSON field names (the `to_json` methods and
 * docs/api.md), so the generated file replaces it without other changes.
 */

export type paths = Record<string, never>;
export type webhooks = Record<string, never>;

export interface components {
  schemas: {
    Error: {
      /** stable reason code, e.g. `channel-not-found` */
      error: string;
      message: string;
    };
    PublicOidc: {
      issuer: string;
      client_id: string | null;
      audience: string | null;
      scopes: string[];
      cli_redirect_uri: string | null;
    };
    PublicConfig: {
      oidc: components["schemas"]["PublicOidc"] | null;
      max_package_bytes: number;
      max_api_body_bytes: number;
      version: string;
    };
    Me: {
      name: string | null;
      needs_name?: boolean;
      superuser: boolean;
      session?: boolean;
      key: string | null;
      scope: ("read" | "upload" | "admin") | null;
      channels: string[] | null;
    };
    UsernameClaim: { name: string };
    UserCreate: { name: string };
    UserCreated: {
      name: string;
      created_at: string;
      created_by: string;
      key: components["schemas"]["ApiKeyCreated"];
    };
    UserSearch: { users: string[] };
    UserSuspension: { name: string; suspended: boolean };
    ApiKey: {
      id: string;
      user: string;
      scope: "read" | "upload" | "admin";
      channels: string[] | null;
      /** epoch seconds */
      expires_at: number | null;
      description: string;
      created_at: string;
      revoked: boolean;
    };
    ApiKeyCreated: components["schemas"]["ApiKey"] & { secret: string };
    KeyList: { keys: components["schemas"]["ApiKey"][] };
    KeyCreate: {
      scope?: "read" | "upload" | "admin";
      channels?: string[] | null;
      expires_in_days?: number;
      expires_at?: number;
      description?: string;
    };
    Channel: {
      name: string;
      description: string;
      logo_url: string;
      visibility: "public" | "private";
      owner: string | null;
      created_at: string;
      /** only on GET /api/v1/channels/{channel}: the caller's role */
      role?: ("owner" | "maintainer" | "member") | null;
    };
    ChannelList: { channels: components["schemas"]["Channel"][] };
    ChannelCreate: {
      name: string;
      visibility?: "public" | "private";
      description?: string;
      logo_url?: string;
      owner?: string;
    };
    ChannelUpdate: {
      description?: string;
      logo_url?: string;
      visibility?: "public" | "private";
    };
    ChannelTransfer: { owner: string };
    ChannelDeleted: { deleted: string; objects_removed: number };
    ReindexQueued: { channel: string; subdirs: string[] };
    ReindexRequest: { subdir?: string };
    Member: {
      user: string;
      role: "owner" | "maintainer" | "member";
      added_by: string;
      added_at: string;
    };
    MemberList: { members: components["schemas"]["Member"][] };
    MemberRole: { role: "owner" | "maintainer" | "member" };
    MemberRemoved: { removed: string };
    Yank: { reason: string; by: string; at: string };
    PackageFile: {
      subdir: string;
      filename: string;
      name: string;
      version: string;
      build: string;
      build_number: number;
      depends?: string[];
      constrains?: string[];
      license?: string;
      license_family?: string;
      noarch?: string;
      md5?: string;
      sha256?: string;
      size?: number;
      /** build time, epoch milliseconds */
      timestamp?: number;
      indexed_timestamp?: number;
      run_exports?: Record<string, string[]> | null;
      yanked: components["schemas"]["Yank"] | null;
      [key: string]: unknown;
    };
    PackageList: {
      packages: components["schemas"]["PackageFile"][];
      cursor: string | null;
    };
    YankRequest: { reason: string };
    YankResult: {
      subdir: string;
      filename: string;
      sha256: string;
      yanked: components["schemas"]["Yank"] | null;
      changed: boolean;
    };
    PackageDeleted: { deleted: string };
    Publisher: {
      id: string;
      channel: string;
      provider: "github" | "gitlab" | string;
      issuer: string;
      owner?: string;
      owner_id?: string;
      repository?: string;
      workflow?: string;
      namespace?: string;
      project?: string;
      config_path?: string;
      namespace_id?: string;
      project_id?: string;
      environment: string | null;
      name_patterns: string[];
      subdirs: string[];
      created_by: string;
      created_at: string;
      last_used_at: string | null;
    };
    PublisherList: { publishers: components["schemas"]["Publisher"][] };
    PublisherRemoved: { removed: string };
    PublisherCreate: {
      provider: "github" | "gitlab";
      owner?: string;
      owner_id?: string;
      repository?: string;
      workflow?: string;
      namespace?: string;
      project?: string;
      config_path?: string;
      namespace_id?: string;
      project_id?: string;
      issuer?: string;
      environment?: string;
      name_patterns?: string[];
      subdirs?: string[];
    };
    UploadRequest: {
      filename: string;
      sha256: string;
      size: number;
      subdir?: string;
      force?: boolean;
    };
    UploadTicket: {
      id: string;
      method: "PUT";
      url: string;
      headers: Record<string, string>;
      expires_at: number;
      filename: string;
      status: "pending";
    };
    UploadStatus: {
      id: string;
      channel: string;
      filename: string;
      status: "pending" | "validating" | "published" | "rejected";
      subdir?: string;
      indexed?: boolean;
      reason?: string;
      message?: string;
    };
    AuditEvent: {
      at: string;
      actor: string;
      action: string;
      details: Record<string, unknown>;
    };
    AuditPage: {
      events: components["schemas"]["AuditEvent"][];
      cursor: string | null;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
