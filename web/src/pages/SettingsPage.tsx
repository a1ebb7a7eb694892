// /channels/:channel/settings (owners): description, visibility, logo, trusted
// publishers, and the danger zone (transfer, delete after typing the name).
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import type { Channel, ChannelUpdate } from "../api/types";
import { describeError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { ChannelFrame, type ChannelContext } from "../components/ChannelFrame";
import { EmptyState, ErrorText, StatusText } from "../components/Feedback";
import { LOGO_ACCEPT, MAX_LOGO_BYTES, logoFileProblem } from "../lib/logos";
import { logoUrlProblem } from "../lib/names";
import { PublishersSection } from "../publishers/PublishersSection";
import "../webb.css";

export default function SettingsPage() {
  return <ChannelFrame title="Settings">{(ctx) => <Settings ctx={ctx} />}</ChannelFrame>;
}

export const DESCRIPTION_MAX = 1000;

export const VISIBILITY_HELP = {
  public: "Anyone can find, read and install its packages, without an API key.",
  private:
    "Only its members can see it and install from it, with an API key (or a signed-in session here). " +
    "Changing to private takes effect at the CDN within seconds; copies people already downloaded, " +
    "or that mirrors and proxies cached while it was public, are not recalled. From then on its files " +
    "are served as Cache-Control: private, so shared caches do not keep them.",
} as const;

function Settings({ ctx }: { ctx: ChannelContext }) {
  const { channel } = ctx;
  if (channel.role !== "owner") {
    return (
      <EmptyState title="Only owners change settings">
        Ask an owner of {channel.name} to make you an owner on the Members tab.
      </EmptyState>
    );
  }
  return (
    <>
      <GeneralForm ctx={ctx} />
      <PublishersSection channel={channel.name} />
      <DangerZone channel={channel} />
    </>
  );
}

function GeneralForm({ ctx }: { ctx: ChannelContext }) {
  const { channel, setChannel } = ctx;
  const auth = useAuth();
  const [description, setDescription] = useState(channel.description ?? "");
  const [visibility, setVisibility] = useState(channel.visibility);
  const [logoUrl, setLogoUrl] = useState(channel.logo_url ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [previewFailed, setPreviewFailed] = useState(false);
  useEffect(() => setPreviewFailed(false), [logoUrl]);

  // Only what the person typed is checked: the channel's own logo (an uploaded one is served
  // from the CDN's address) is never a reason to refuse saving the other settings.
  const logoProblem = logoUrl.trim() !== (channel.logo_url ?? "") ? logoUrlProblem(logoUrl) : null;
  const tooLong = description.length > DESCRIPTION_MAX;
  const change: ChannelUpdate = {};
  if (description !== (channel.description ?? "")) change.description = description;
  if (visibility !== channel.visibility) change.visibility = visibility;
  if (logoUrl.trim() !== (channel.logo_url ?? "")) change.logo_url = logoUrl.trim();
  const dirty = Object.keys(change).length > 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (logoProblem || tooLong) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await auth.api.updateChannel(channel.name, change);
      setChannel(updated);
      setSaved("Settings saved.");
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const preview = logoUrl.trim() && !logoProblem ? logoUrl.trim() : null;
  return (
    <form className="settings-section" onSubmit={submit} aria-labelledby="general-title" noValidate>
      <h2 id="general-title">Channel settings</h2>
      <div className="field">
        <label htmlFor="channel-description">Description</label>
        <textarea
          id="channel-description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-describedby="channel-description-help"
          aria-invalid={tooLong || undefined}
        />
        <p id="channel-description-help" className={tooLong ? "error" : "help"}>
          {description.length} of {DESCRIPTION_MAX} characters. Shown on the channel page.
        </p>
      </div>
      <fieldset className="field">
        <legend>Visibility</legend>
        {(["public", "private"] as const).map((value) => (
          <div key={value}>
            <label className="choice">
              <input
                type="radio"
                name="visibility"
                value={value}
                checked={visibility === value}
                onChange={() => setVisibility(value)}
                aria-describedby={`visibility-${value}-help`}
              />
              {value === "public" ? "Public" : "Private"}
            </label>
            <p id={`visibility-${value}-help`} className="help">
              {VISIBILITY_HELP[value]}
            </p>
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="channel-logo-url">Logo URL</label>
        <input
          id="channel-logo-url"
          type="url"
          inputMode="url"
          value={logoUrl}
          placeholder="https://example.com/logo.png"
          onChange={(e) => setLogoUrl(e.target.value)}
          aria-describedby="channel-logo-help"
          aria-invalid={logoProblem ? true : undefined}
        />
        <p id="channel-logo-help" className={logoProblem ? "error" : "help"}>
          {logoProblem ?? "An https:// address of a PNG, JPEG, WebP or SVG image. Empty: no logo."}
        </p>
        {preview && !previewFailed && (
          <img className="logo-preview" src={preview} alt="Logo preview" onError={() => setPreviewFailed(true)} />
        )}
        {preview && previewFailed && <p className="error">The image at this address could not be loaded.</p>}
      </div>
      <LogoUpload
        channel={channel.name}
        onUploaded={(updated) => {
          setChannel(updated);
          setLogoUrl(updated.logo_url ?? "");
        }}
      />
      <div className="actions">
        <button type="submit" disabled={busy || !dirty || !!logoProblem || tooLong}>
          Save settings
        </button>
        {saved && !dirty && <StatusText>{saved}</StatusText>}
      </div>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}

/** Upload an image as the logo: checked here first, sent as the body of PUT .../logo. */
function LogoUpload({ channel, onUploaded }: { channel: string; onUploaded: (updated: Channel) => void }) {
  const auth = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setError(null);
    setDone(null);
    if (!file) return;
    setBusy(true);
    try {
      const problem = await logoFileProblem(file);
      if (problem) {
        setError(problem);
        return;
      }
      const updated = await auth.api.uploadLogo(channel, file);
      onUploaded(updated);
      setDone(`Logo uploaded from ${file.name}.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      // choosing the same file again (after fixing it, or to retry) fires a change again
      if (input.current) input.current.value = "";
    }
  };

  return (
    <div className="field">
      <label htmlFor="channel-logo-file">Upload a logo</label>
      <input
        id="channel-logo-file"
        ref={input}
        type="file"
        accept={LOGO_ACCEPT}
        disabled={busy}
        onChange={(e) => void choose(e)}
        aria-describedby={error ? "channel-logo-file-error" : "channel-logo-file-help"}
        aria-invalid={error ? true : undefined}
      />
      <p id="channel-logo-file-help" className="help">
        A PNG, JPEG or WebP image of at most {MAX_LOGO_BYTES / 1024} KiB. It replaces the logo at once and is served
        from this deployment.
      </p>
      {busy && <StatusText>Uploading…</StatusText>}
      {done && <StatusText>{done}</StatusText>}
      <ErrorText id="channel-logo-file-error">{error}</ErrorText>
    </div>
  );
}

function DangerZone({ channel }: { channel: Channel }) {
  return (
    <section className="danger-zone" aria-labelledby="danger-title">
      <h2 id="danger-title">Danger zone</h2>
      <TransferForm channel={channel} />
      <DeleteForm channel={channel} />
    </section>
  );
}

function TransferForm({ channel }: { channel: Channel }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [owner, setOwner] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const target = owner.trim().toLowerCase();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target) {
      setError("Type the username of the new owner.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await auth.api.transferChannel(channel.name, target);
      // The caller is a maintainer now: settings are no longer theirs.
      navigate(`/channels/${encodeURIComponent(channel.name)}`);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby="transfer-title" noValidate>
      <h3 id="transfer-title">Transfer ownership</h3>
      <p className="help">
        The new owner gets the owner role; you stay on as a maintainer (upload, but no settings, members or
        publishers).
      </p>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="transfer-owner">New owner's username</label>
          <input
            id="transfer-owner"
            autoComplete="off"
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "transfer-error" : undefined}
          />
        </div>
        <div className="field">
          <button type="submit" className="danger" disabled={busy || !target}>
            Transfer channel
          </button>
        </div>
      </div>
      <ErrorText id="transfer-error">{error}</ErrorText>
    </form>
  );
}

function DeleteForm({ channel }: { channel: Channel }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const matches = typed === channel.name;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    setBusy(true);
    setError(null);
    try {
      await auth.api.deleteChannel(channel.name);
      navigate("/", { state: { notice: `Channel ${channel.name} was deleted.` } });
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby="delete-title" noValidate>
      <h3 id="delete-title">Delete this channel</h3>
      <p className="help">
        Deletes every package, the index, the members, trusted publishers and the audit log of {channel.name}. It cannot
        be undone; the name becomes free for anyone to take.
      </p>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="delete-confirm">Type {channel.name} to confirm</label>
          <input
            id="delete-confirm"
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            aria-describedby={error ? "delete-error" : undefined}
          />
        </div>
        <div className="field">
          <button type="submit" className="danger" disabled={busy || !matches}>
            Delete channel
          </button>
        </div>
      </div>
      <ErrorText id="delete-error">{error}</ErrorText>
    </form>
  );
}
