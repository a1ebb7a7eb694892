// /channels/:channel/upload: drop or choose packages; each is checked here, hashed in
// slices, sent straight to storage with a progress bar, then followed to "installable"
// or to the refusal's reason.
import { useMemo, useState, type DragEvent } from "react";
import { Link } from "react-router-dom";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ChannelFrame } from "../components/ChannelFrame";
import { Snippet } from "../components/CopyButton";
import { EmptyState } from "../components/Feedback";
import { useConfig } from "../config";
import { channelUrl } from "../lib/snippets";
import { formatBytes, PACKAGE_EXTENSIONS } from "../upload/filename";
import type { FileState } from "../upload/pipeline";
import { adviceFor } from "../upload/reasons";
import { apiUploadDeps, useUploads, type UploadEntry } from "../upload/useUploads";
import "../webb.css";

export default function UploadPage() {
  return <ChannelFrame title="Upload">{({ channel }) => <Uploader channel={channel} />}</ChannelFrame>;
}

function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
}

/** The state in words, as the file's list entry shows it. */
export function phaseText(state: FileState): string {
  switch (state.phase) {
    case "queued":
      return "Waiting";
    case "hashing":
      return `Computing SHA-256: ${percent(state.done, state.total)}%`;
    case "requesting":
      return "Asking the channel for an upload link";
    case "sending":
      return `Sending: ${percent(state.done, state.total)}% (${formatBytes(state.done)} of ${formatBytes(state.total)})`;
    case "validating":
      return "Validating";
    case "published":
      return `Published${state.subdir ? ` in ${state.subdir}` : ""}; waiting for the index`;
    case "installable":
      return `Published${state.subdir ? ` in ${state.subdir}` : ""}: installable`;
    case "rejected":
      return `Rejected (${state.reason})`;
    case "failed":
      return `Failed (${state.reason})`;
  }
}

/** The server's messages are lower-case fragments: shown as a sentence. */
export function asSentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function FileRow({ entry }: { entry: UploadEntry }) {
  const { state, file } = entry;
  const progressId = `upload-progress-${entry.key}`;
  const bar =
    state.phase === "hashing" || state.phase === "sending" ? (
      <progress
        id={progressId}
        max={state.total}
        value={state.done}
        aria-label={`${state.phase === "hashing" ? "Hashing" : "Sending"} ${file.name}`}
      />
    ) : state.phase === "requesting" || state.phase === "validating" || state.phase === "published" ? (
      <progress aria-label={`${phaseText(state)}: ${file.name}`} />
    ) : null;
  const bad = state.phase === "rejected" || state.phase === "failed";
  const advice = bad ? adviceFor(state.reason) : null;
  return (
    <li className={`upload-item upload-${state.phase}`} data-phase={state.phase}>
      <div className="upload-head">
        <span className="upload-name">{file.name}</span>
        <span className="muted small">{formatBytes(file.size)}</span>
      </div>
      {bar}
      <p className={bad ? "error" : state.phase === "installable" ? "ok" : "upload-phase"}>{phaseText(state)}</p>
      {bad && <p className="error upload-reason">{asSentence(state.message)}</p>}
      {bad && advice && advice !== state.message && <p className="upload-advice">{advice}</p>}
    </li>
  );
}

function Summary({ entries, channel }: { entries: UploadEntry[]; channel: Channel }) {
  const done = entries.filter((e) => e.finished);
  if (done.length === 0 || done.length !== entries.length) return null;
  const published = done.filter((e) => e.state.phase === "installable" || e.state.phase === "published");
  const refused = done.length - published.length;
  const names = [...new Set(published.map((e) => e.packageName).filter((n): n is string => !!n))];
  const url = channelUrl(window.location.origin, channel.name);
  return (
    <section className="upload-summary" aria-labelledby="upload-summary-title">
      <h2 id="upload-summary-title">Summary</h2>
      <p>
        {published.length} of {done.length} file{done.length === 1 ? "" : "s"} published
        {refused > 0 ? `, ${refused} not: see the reason next to each` : ""}.
      </p>
      {names.length > 0 && (
        <>
          <p>Install with:</p>
          <Snippet label="install command" code={`pixi workspace channel add ${url}\npixi add ${names.join(" ")}`} />
          <Snippet label="conda install command" code={`conda install -c ${url} ${names.join(" ")}`} />
          {channel.visibility === "private" && (
            <p className="help">
              This channel is private: clients need an API key.{" "}
              <Link to={`/channels/${encodeURIComponent(channel.name)}`}>The channel page</Link> shows how each client signs
              in.
            </p>
          )}
        </>
      )}
    </section>
  );
}

function Uploader({ channel }: { channel: Channel }) {
  const auth = useAuth();
  const config = useConfig();
  const maxBytes = config.max_package_bytes ?? null;
  const [force, setForce] = useState(false);
  const [dragging, setDragging] = useState(false);
  const deps = useMemo(() => apiUploadDeps(auth.api, channel.name), [auth.api, channel.name]);
  const uploads = useUploads(deps, maxBytes, force);
  const role = channel.role ?? null;
  const canUpload = role === "owner" || role === "maintainer";

  if (!canUpload) {
    return (
      <section>
        <h2>Upload packages</h2>
        <EmptyState title="You cannot upload to this channel">
          Uploading needs the owner or maintainer role here.{" "}
          {auth.status === "signed-out" ? "Sign in first, or ask " : "Ask "}
          an owner of {channel.name} to make you a maintainer.
        </EmptyState>
      </section>
    );
  }

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    uploads.add(Array.from(event.dataTransfer.files));
  };
  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    if (!dragging) setDragging(true);
  };
  const hasFinished = uploads.entries.some((e) => e.finished);

  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">Upload packages</h2>
      <p className="help">
        Conda packages ({PACKAGE_EXTENSIONS.join(" or ")}, named {"<name>-<version>-<build>"}), up to{" "}
        <strong>{maxBytes ? formatBytes(maxBytes) : "the deployment's limit"}</strong> each on this deployment. Each file
        is checked and its SHA-256 computed here, then sent straight to storage and validated by the channel.
      </p>
      <div
        className={`drop-zone${dragging ? " drop-zone-active" : ""}`}
        data-testid="drop-zone"
        onDragOver={onDragOver}
        onDragEnter={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="drop-zone-text">Drop package files here, or</p>
        <label className="button" htmlFor="upload-files">
          Choose package files
        </label>
        <input
          id="upload-files"
          className="file-input"
          type="file"
          multiple
          accept=".conda,.bz2"
          onChange={(event) => {
            uploads.add(Array.from(event.target.files ?? []));
            event.target.value = ""; // choosing the same file again starts a new upload
          }}
        />
      </div>
      {role === "owner" && (
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            Replace files that already exist (owners only)
          </label>
          <p className="help">Off: a file whose name is already in the channel is refused with “already-exists”.</p>
        </div>
      )}
      {uploads.entries.length === 0 ? (
        <EmptyState title="No files yet">Drop .conda or .tar.bz2 files above, or choose them: uploading starts at once.</EmptyState>
      ) : (
        <>
          <h3 id="upload-list-title">Files</h3>
          <ul className="upload-list" aria-labelledby="upload-list-title" aria-live="polite">
            {uploads.entries.map((entry) => (
              <FileRow key={entry.key} entry={entry} />
            ))}
          </ul>
          {hasFinished && (
            <button type="button" className="secondary" onClick={uploads.clearFinished}>
              Clear finished uploads
            </button>
          )}
        </>
      )}
      <Summary entries={uploads.entries} channel={channel} />
    </section>
  );
}
