// The account page's key form, as a KeyCreate request (pure: tested).
import type { KeyCreate, Scope } from "../api/types";
import { channelNameProblem } from "./names";

export interface KeyForm {
  description: string;
  scope: Scope;
  /** comma- or space-separated channel names; empty: every channel */
  channels: string;
  /** "never" or a number of days */
  expiry: string;
}

export type KeyFormErrors = Partial<Record<keyof KeyForm, string>>;

export function parseChannelList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((c) => c.trim()).filter(Boolean))];
}

/** The request for the form, or what is wrong with each field. */
export function keyRequest(form: KeyForm): { body: KeyCreate } | { errors: KeyFormErrors } {
  const errors: KeyFormErrors = {};
  if (form.description.length > 200) errors.description = "A description is at most 200 characters.";
  const channels = parseChannelList(form.channels);
  const bad = channels.map((c) => [c, channelNameProblem(c)] as const).find(([, p]) => p);
  if (bad) errors.channels = `“${bad[0]}” is not a channel name: ${bad[1]}`;
  else if (channels.length > 50) errors.channels = "A key can be limited to at most 50 channels.";
  let days: number | null = null;
  if (form.expiry !== "never") {
    days = Number(form.expiry);
    if (!Number.isInteger(days) || days < 1 || days > 3650) errors.expiry = "Expiry is 1 to 3650 days.";
  }
  if (Object.keys(errors).length) return { errors };
  const body: KeyCreate = { scope: form.scope, description: form.description.trim() };
  if (channels.length) body.channels = channels;
  if (days !== null) body.expires_in_days = days;
  return { body };
}

/** Which field an API refusal of a key request is about. */
export function fieldOfKeyError(code: string): keyof KeyForm | null {
  switch (code) {
    case "key-scope-too-broad":
      return "scope";
    case "key-channels-too-broad":
    case "channel-not-found":
    case "invalid-name":
      return "channels";
    case "key-expiry-too-late":
      return "expiry";
    default:
      return null;
  }
}
