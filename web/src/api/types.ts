// Friendly names for the API's schemas. The schemas come from src/api/schema.d.ts,
// generated from /api/openapi.json (`npm run gen:api`): import from here, not from it.
import type { components } from "./schema";

type S = components["schemas"];

export type ApiErrorBody = S["Error"];
export type PublicConfig = S["PublicConfig"];
export type OidcConfig = S["PublicOidc"];
export type PublicOidc = S["PublicOidc"];
export type Me = S["Me"];
export type UsernameClaim = S["UsernameClaim"];
export type UserCreated = S["UserCreated"];
export type UserSearch = S["UserSearch"];
export type ApiKey = S["ApiKey"];
export type ApiKeyCreated = S["ApiKeyCreated"];
export type KeyList = S["KeyList"];
export type KeyCreate = S["KeyCreate"];
export type Channel = S["Channel"];
export type ChannelList = S["ChannelList"];
export type ChannelCreate = S["ChannelCreate"];
export type ChannelUpdate = S["ChannelUpdate"];
export type ChannelTransfer = S["ChannelTransfer"];
export type ReindexRequest = S["ReindexRequest"];
export type Member = S["Member"];
export type MemberList = S["MemberList"];
export type MemberRole = S["MemberRole"];
export type PackageFile = S["PackageFile"];
export type PackageList = S["PackageList"];
export type Attestation = S["Attestation"];
export type YankRequest = S["YankRequest"];
export type Publisher = S["Publisher"];
export type PublisherList = S["PublisherList"];
export type PublisherCreate = S["PublisherCreate"];
export type UploadRequest = S["UploadRequest"];
export type UploadTicket = S["UploadTicket"];
export type UploadStatus = S["UploadStatus"];
export type AuditEvent = S["AuditEvent"];
export type AuditPage = S["AuditPage"];

export type Scope = ApiKey["scope"];
export type Role = Member["role"];
export type Visibility = Channel["visibility"];

export type ChannelDeleted = S["ChannelDeleted"];
export type ReindexQueued = S["ReindexQueued"];
export type MemberRemoved = S["MemberRemoved"];
export type PackageDeleted = S["PackageDeleted"];
export type YankResult = S["YankResult"];
export type PublisherRemoved = S["PublisherRemoved"];
export type UserSuspension = S["UserSuspension"];
/** @deprecated use PackageDeleted */
export type Deleted = PackageDeleted;
/** @deprecated use MemberRemoved or PublisherRemoved */
export type Removed = MemberRemoved;

/**
 * Fields the package page shows when the API provides them with each package file
 * (beyond the repodata record): who uploaded it and when, and about.json's fields.
 */
export interface PackageExtras {
  uploaded_at?: string | null;
  uploaded_by?: string | null;
  publisher?: {
    id?: string;
    provider?: string;
    repository?: string;
    workflow?: string;
    project?: string;
    config_path?: string;
    environment?: string | null;
  } | null;
  about?: {
    summary?: string;
    description?: string;
    home?: string;
    dev_url?: string;
    doc_url?: string;
    source_url?: string;
    license?: string;
  } | null;
  summary?: string;
}
