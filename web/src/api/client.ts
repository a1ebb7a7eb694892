// The typed API client: one fetch wrapper (JSON in and out, Bearer token, errors as
// ApiError) and one function per route the app uses. Build it with `createApi` or get
// the signed-in one from `useApi()` (src/auth/AuthContext.tsx).
import { ApiError, errorFromBody } from "./errors";
import type {
  ApiKey,
  ApiKeyCreated,
  AuditPage,
  Channel,
  ChannelCreate,
  ChannelDeleted,
  ChannelList,
  ChannelUpdate,
  KeyCreate,
  KeyList,
  Me,
  Member,
  MemberList,
  MemberRemoved,
  PackageDeleted,
  PublisherRemoved,
  ReindexQueued,
  PackageList,
  PublicConfig,
  Publisher,
  PublisherCreate,
  PublisherList,
  Role,
  UploadRequest,
  UploadStatus,
  UploadTicket,
  UserSearch,
  YankResult,
} from "./types";

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** sent as is instead of a JSON body (e.g. an image), with this Content-Type */
  raw?: { data: Blob; contentType: string };
  signal?: AbortSignal;
}

export type TokenSource = () => string | null | undefined;

const seg = encodeURIComponent;

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function createApi(getToken: TokenSource = () => null, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | Blob | undefined;
    if (options.raw) {
      headers["Content-Type"] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await fetchImpl(buildUrl(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: "omit", // the API authenticates by header, never by cookie
    });
    const text = await response.text();
    if (!response.ok) {
      throw errorFromBody(response.status, text, response.headers.get("content-type") ?? "");
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, "unexpected-response", "The server sent an answer the app cannot read.");
    }
  }

  const ch = (c: string) => `/api/v1/channels/${seg(c)}`;

  return {
    request,
    config: () => request<PublicConfig>("GET", "/api/v1/config"),
    me: () => request<Me>("GET", "/api/v1/users/me"),
    claimUsername: (name: string) => request<Me>("POST", "/api/v1/users/me", { body: { name } }),
    searchUsers: (q: string, signal?: AbortSignal) =>
      request<UserSearch>("GET", "/api/v1/users", { query: { q }, signal }),

    listKeys: () => request<KeyList>("GET", "/api/v1/users/me/keys"),
    createKey: (body: KeyCreate) => request<ApiKeyCreated>("POST", "/api/v1/users/me/keys", { body }),
    revokeKey: (id: string) => request<ApiKey>("DELETE", `/api/v1/users/me/keys/${seg(id)}`),

    listChannels: () => request<ChannelList>("GET", "/api/v1/channels"),
    getChannel: (c: string, signal?: AbortSignal) => request<Channel>("GET", ch(c), { signal }),
    createChannel: (body: ChannelCreate) => request<Channel>("POST", "/api/v1/channels", { body }),
    updateChannel: (c: string, body: ChannelUpdate) => request<Channel>("PATCH", ch(c), { body }),
    transferChannel: (c: string, owner: string) =>
      request<Channel>("POST", `${ch(c)}/transfer`, { body: { owner } }),
    deleteChannel: (c: string) => request<ChannelDeleted>("DELETE", ch(c)),
    /** PUT the image's bytes as the body; the answer's logo_url points at the served copy. */
    uploadLogo: (c: string, file: File) =>
      request<Channel>("PUT", `${ch(c)}/logo`, {
        raw: { data: file, contentType: file.type || "application/octet-stream" },
      }),
    reindexChannel: (c: string, subdir?: string) =>
      request<ReindexQueued>("POST", `${ch(c)}/reindex`, { body: subdir ? { subdir } : {} }),

    listMembers: (c: string) => request<MemberList>("GET", `${ch(c)}/members`),
    setMember: (c: string, user: string, role: Role) =>
      request<Member>("PUT", `${ch(c)}/members/${seg(user)}`, { body: { role } }),
    removeMember: (c: string, user: string) => request<MemberRemoved>("DELETE", `${ch(c)}/members/${seg(user)}`),

    listPackages: (
      c: string,
      query: { subdir?: string; name?: string; limit?: number; cursor?: string | null } = {},
      signal?: AbortSignal,
    ) => request<PackageList>("GET", `${ch(c)}/packages`, { query, signal }),
    deletePackage: (c: string, subdir: string, filename: string) =>
      request<PackageDeleted>("DELETE", `/api/v1/delete/${seg(c)}/${seg(subdir)}/${seg(filename)}`),
    yankPackage: (c: string, subdir: string, filename: string, reason: string) =>
      request<YankResult>("POST", `${ch(c)}/packages/${seg(subdir)}/${seg(filename)}/yank`, { body: { reason } }),
    unyankPackage: (c: string, subdir: string, filename: string) =>
      request<YankResult>("POST", `${ch(c)}/packages/${seg(subdir)}/${seg(filename)}/unyank`),

    createUpload: (c: string, body: UploadRequest) => request<UploadTicket>("POST", `${ch(c)}/uploads`, { body }),
    uploadStatus: (c: string, id: string) => request<UploadStatus>("GET", `${ch(c)}/uploads/${seg(id)}`),

    listPublishers: (c: string) => request<PublisherList>("GET", `${ch(c)}/publishers`),
    addPublisher: (c: string, body: PublisherCreate) => request<Publisher>("POST", `${ch(c)}/publishers`, { body }),
    removePublisher: (c: string, id: string) => request<PublisherRemoved>("DELETE", `${ch(c)}/publishers/${seg(id)}`),

    audit: (c: string, query: { limit?: number; cursor?: string | null; action?: string } = {}) =>
      request<AuditPage>("GET", `${ch(c)}/audit`, { query }),
  };
}

export type Api = ReturnType<typeof createApi>;
