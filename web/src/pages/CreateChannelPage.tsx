import { useEffect, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError, describeError, isNotFound } from "../api/errors";
import type { Visibility } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ErrorText } from "../components/Feedback";
import { RequireSignIn, usePageTitle } from "../components/Layout";
import { channelNameProblem, logoUrlProblem } from "../lib/names";

type Availability = { name: string; state: "checking" | "free" | "taken" | "unknown" };

const MAX_DESCRIPTION = 1000;

/** Which field an API refusal of the create request is about. */
export function fieldOfCreateError(err: unknown): "name" | "logo_url" | "description" | "visibility" | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === "channel-exists" || err.code === "invalid-name" || err.code === "channel-outside-key") return "name";
  const m = err.message.toLowerCase();
  if (m.includes("logo")) return "logo_url";
  if (m.includes("description")) return "description";
  if (m.includes("visibility")) return "visibility";
  return null;
}

/** /channels/new */
export default function CreateChannelPage() {
  usePageTitle("Create a channel");
  return (
    <RequireSignIn what="create a channel">
      <CreateChannelForm />
    </RequireSignIn>
  );
}

function CreateChannelForm() {
  const { api } = useAuth();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("public");
  const [logoUrl, setLogoUrl] = useState("");
  const [availability, setAvailability] = useState<Availability | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<{ field: string | null; text: string } | null>(null);
  const [logoBroken, setLogoBroken] = useState(false);

  const nameProblem = channelNameProblem(name);
  const logoProblem = logoUrlProblem(logoUrl);
  const descriptionProblem =
    description.length > MAX_DESCRIPTION ? `A description is at most ${MAX_DESCRIPTION} characters.` : null;

  // Is the name taken? Asked once typing pauses, only for names that pass the rules.
  useEffect(() => {
    if (!name || nameProblem) {
      setAvailability(null);
      return;
    }
    const controller = new AbortController();
    setAvailability({ name, state: "checking" });
    const timer = window.setTimeout(() => {
      api
        .getChannel(name, controller.signal)
        .then(() => setAvailability({ name, state: "taken" }))
        .catch((e: unknown) => {
          if (controller.signal.aborted) return;
          setAvailability({ name, state: isNotFound(e) ? "free" : "unknown" });
        });
    }, 300);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [api, name, nameProblem]);

  const taken = availability?.name === name && availability.state === "taken";
  const nameError =
    (serverError?.field === "name" ? serverError.text : null) ??
    (name || submitted ? nameProblem : null) ??
    (taken ? `“${name}” is taken: choose another name.` : null);
  const logoError = (serverError?.field === "logo_url" ? serverError.text : null) ?? logoProblem;
  const descriptionError = (serverError?.field === "description" ? serverError.text : null) ?? descriptionProblem;
  const formError = serverError && !["name", "logo_url", "description"].includes(serverError.field ?? "") ? serverError.text : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (nameProblem || logoProblem || descriptionProblem || taken) return;
    setBusy(true);
    setServerError(null);
    try {
      const created = await api.createChannel({
        name,
        visibility,
        description: description.trim(),
        ...(logoUrl.trim() ? { logo_url: logoUrl.trim() } : {}),
      });
      navigate(`/channels/${encodeURIComponent(created.name)}`);
    } catch (err) {
      const field = fieldOfCreateError(err);
      setServerError({
        field,
        text: err instanceof ApiError && err.code === "channel-exists" ? `“${name}” is taken: choose another name.` : describeError(err),
      });
    } finally {
      setBusy(false);
    }
  };

  const clear = () => setServerError(null);

  return (
    <section className="narrow">
      <h1>Create a channel</h1>
      <p className="lede">A channel holds conda packages that pixi, conda and mamba install from. You become its owner.</p>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="channel-name">Channel name</label>
          <input
            id="channel-name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              clear();
            }}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={60}
            required
            aria-invalid={nameError ? true : undefined}
            aria-describedby="channel-name-help channel-name-error channel-name-status"
          />
          <p id="channel-name-help" className="help">
            1–50 lower-case letters, digits, “-” or “_”, starting and ending with a letter or digit. It is part of the
            channel's URL and cannot be changed.
          </p>
          <ErrorText id="channel-name-error">{nameError}</ErrorText>
          <p id="channel-name-status" className="help" aria-live="polite">
            {!nameError && availability?.name === name
              ? availability.state === "checking"
                ? "Checking whether the name is free…"
                : availability.state === "free"
                  ? `“${name}” is free.`
                  : availability.state === "unknown"
                    ? "Could not check the name now; it is checked again when you create the channel."
                    : ""
              : ""}
          </p>
        </div>

        <div className="field">
          <label htmlFor="channel-description">Description</label>
          <textarea
            id="channel-description"
            value={description}
            onChange={(e) => {
              setDescription(e.target.value);
              clear();
            }}
            aria-invalid={descriptionError ? true : undefined}
            aria-describedby="channel-description-help channel-description-error"
          />
          <p id="channel-description-help" className="help">
            Optional: what the channel offers ({description.length} of {MAX_DESCRIPTION} characters).
          </p>
          <ErrorText id="channel-description-error">{descriptionError}</ErrorText>
        </div>

        <fieldset className="field">
          <legend>Visibility</legend>
          <label className="choice">
            <input type="radio" name="visibility" value="public" checked={visibility === "public"} onChange={() => setVisibility("public")} />
            <span>
              Public: anyone can install its packages, no key needed.
            </span>
          </label>
          <label className="choice">
            <input type="radio" name="visibility" value="private" checked={visibility === "private"} onChange={() => setVisibility("private")} />
            <span>Private: only its members see it, and installing needs a member's API key.</span>
          </label>
        </fieldset>

        <div className="field">
          <label htmlFor="channel-logo">Logo URL</label>
          <input
            id="channel-logo"
            type="url"
            inputMode="url"
            value={logoUrl}
            onChange={(e) => {
              setLogoUrl(e.target.value);
              setLogoBroken(false);
              clear();
            }}
            placeholder="https://…"
            aria-invalid={logoError ? true : undefined}
            aria-describedby="channel-logo-help channel-logo-error"
          />
          <p id="channel-logo-help" className="help">
            Optional: an https:// image. You can upload a logo file in the channel's settings later.
          </p>
          <ErrorText id="channel-logo-error">{logoError}</ErrorText>
          {logoUrl && !logoProblem && (
            <div className="logo-preview">
              {logoBroken ? (
                <p className="help">The image at this URL could not be shown.</p>
              ) : (
                <img src={logoUrl.trim()} alt="Logo preview" className="logo" onError={() => setLogoBroken(true)} referrerPolicy="no-referrer" />
              )}
            </div>
          )}
        </div>

        <ErrorText>{formError}</ErrorText>
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create channel"}
        </button>
      </form>
    </section>
  );
}
