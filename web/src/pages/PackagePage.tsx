import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { describeError } from "../api/errors";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { AttestationInfo } from "../components/AttestationInfo";
import { ChannelFrame } from "../components/ChannelFrame";
import { CopyButton } from "../components/CopyButton";
import { EmptyState, ErrorText, LoadError, Loading, StatusText } from "../components/Feedback";
import { Pager, usePaged } from "../components/Pagination";
import { SnippetList } from "../components/SnippetTabs";
import { Time } from "../components/Time";
import { formatBytes, plural } from "../lib/format";
import { fetchAllFiles, groupVersions, summaryOf, uploadedAt, type File } from "../lib/packages";
import { installSnippets } from "../lib/snippets";
import { useAsync } from "../lib/useAsync";

/** /channels/:channel/packages/:name */
export default function PackagePage() {
  const { name = "" } = useParams();
  return <ChannelFrame title={name}>{({ channel }) => <Package channel={channel} name={name} />}</ChannelFrame>;
}

function uploaderText(f: File): string {
  const p = f.publisher;
  if (p) {
    const where = p.provider === "gitlab" ? [p.project, p.config_path] : [p.repository, p.workflow];
    const parts = where.filter(Boolean).join(", ");
    return `trusted publisher (${p.provider ?? "CI"}${parts ? `: ${parts}` : ""}${p.environment ? `, environment ${p.environment}` : ""})`;
  }
  return f.uploaded_by ?? "—";
}

const ABOUT_LINKS: [keyof NonNullable<File["about"]>, string][] = [
  ["home", "Home page"],
  ["dev_url", "Development"],
  ["doc_url", "Documentation"],
  ["source_url", "Source"],
];

function safeHttpUrl(url: unknown): string | null {
  if (typeof url !== "string") return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

const VERSIONS_PER_PAGE = 10;

function Package({ channel, name }: { channel: Channel; name: string }) {
  const { api } = useAuth();
  const state = useAsync((signal) => fetchAllFiles(api, channel.name, { name }, signal), [api, channel.name, name]);
  // The API matches the name case-insensitively; keep exactly this package's files.
  const files = useMemo(
    () => (state.data?.files ?? []).filter((f) => f.name.toLowerCase() === name.toLowerCase()),
    [state.data, name],
  );
  const versions = useMemo(() => groupVersions(files), [files]);
  const { pageItems, page, pages, setPage } = usePaged(versions, VERSIONS_PER_PAGE);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canChange = channel.role === "owner" || channel.role === "maintainer";

  useEffect(() => {
    if (selected && files.some((f) => key(f) === selected)) return;
    setSelected(versions[0]?.bySubdir[0]?.[1][0] ? key(versions[0].bySubdir[0][1][0]) : null);
  }, [files, versions, selected]);

  if (state.loading && !state.data) return <Loading what="Loading the package" />;
  if (state.errorText) return <LoadError text={state.errorText} onRetry={state.reload} />;

  const base = `/channels/${encodeURIComponent(channel.name)}`;
  if (files.length === 0) {
    return (
      <section>
        <h2>{name}</h2>
        {notice && <StatusText>{notice}</StatusText>}
        <EmptyState title={`There is no package “${name}” in ${channel.name}.`}>
          <Link to={base}>See the channel's packages</Link>
          {canChange ? (
            <>
              {" "}
              or <Link to={`${base}/upload`}>upload one</Link>.
            </>
          ) : (
            "."
          )}
        </EmptyState>
      </section>
    );
  }

  const newest = versions[0]!.bySubdir[0]![1][0]!;
  const about: File["about"] = files.map((f) => f.about).find((a) => a) ?? null;
  const summary = files.map(summaryOf).find(Boolean) ?? "";
  const license = about?.license ?? (typeof newest.license === "string" ? newest.license : "");
  const chosen = files.find((f) => key(f) === selected) ?? newest;
  const chosenVersion = chosen.version;

  const onChanged = (text: string) => {
    setNotice(text);
    state.reload();
  };

  return (
    <>
      <section aria-labelledby="package-heading">
        <h2 id="package-heading">
          {newest.name} <span className="muted">{newest.version}</span>
        </h2>
        {summary && <p>{summary}</p>}
        <dl className="facts">
          <dt>License</dt>
          <dd>{license || "not stated"}</dd>
          <dt>Versions</dt>
          <dd>
            {plural(versions.length, "version")}, {plural(files.length, "file")}
          </dd>
          {ABOUT_LINKS.map(([field, label]) => {
            const url = safeHttpUrl(about?.[field]);
            return url ? (
              <div key={field} className="contents">
                <dt>{label}</dt>
                <dd>
                  <a href={url} rel="noopener noreferrer nofollow" target="_blank">
                    {url}
                  </a>
                </dd>
              </div>
            ) : null;
          })}
        </dl>
        {about?.description && <p className="channel-desc">{about.description}</p>}
        {notice && <StatusText>{notice}</StatusText>}
      </section>

      <section aria-labelledby="install-heading">
        <h2 id="install-heading">Install {newest.name} {chosenVersion}</h2>
        <SnippetList
          snippets={installSnippets({ origin: window.location.origin, channel: channel.name, isPrivate: channel.visibility === "private" }, newest.name, chosenVersion)}
        />
      </section>

      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        {pageItems.map((v) => (
          <section key={v.version} className="version" aria-labelledby={`v-${cssId(v.version)}`}>
            <h3 id={`v-${cssId(v.version)}`}>
              {v.version} {v.yanked && <span className="badge badge-yanked">yanked</span>}
            </h3>
            {v.bySubdir.map(([subdir, list]) => (
              <div key={subdir} className="table-wrap">
                <table className="stack">
                  <caption>
                    {v.version} for {subdir}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">File</th>
                      <th scope="col">Build</th>
                      <th scope="col">Size</th>
                      <th scope="col">Checksums</th>
                      <th scope="col">Uploaded</th>
                      <th scope="col">Uploaded by</th>
                      <th scope="col">State</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((f) => (
                      <FileRow
                        key={key(f)}
                        file={f}
                        channel={channel.name}
                        isPrivate={channel.visibility === "private"}
                        selected={key(f) === key(chosen)}
                        onSelect={() => setSelected(key(f))}
                        canChange={canChange}
                        onChanged={onChanged}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
          </section>
        ))}
        <Pager page={page} pages={pages} onPage={setPage} label="Versions: pages" />
      </section>

      <Dependencies file={chosen} />
    </>
  );
}

function key(f: File): string {
  return `${f.subdir}/${f.filename}`;
}

function cssId(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, "_");
}

function Dependencies({ file }: { file: File }) {
  const depends = Array.isArray(file.depends) ? file.depends : [];
  const constrains = Array.isArray(file.constrains) ? file.constrains : [];
  return (
    <section aria-labelledby="deps-heading">
      <h2 id="deps-heading">
        Dependencies of {file.subdir}/{file.filename}
      </h2>
      <div className="grid-2">
        <div>
          <h3>Depends</h3>
          {depends.length ? (
            <ul className="deps">
              {depends.map((d) => (
                <li key={d}>
                  <code>{d}</code>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No dependencies.</p>
          )}
        </div>
        <div>
          <h3>Constrains</h3>
          {constrains.length ? (
            <ul className="deps">
              {constrains.map((d) => (
                <li key={d}>
                  <code>{d}</code>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No constraints.</p>
          )}
        </div>
      </div>
    </section>
  );
}

type Action = "none" | "delete" | "yank";

function FileRow({
  file,
  channel,
  isPrivate,
  selected,
  onSelect,
  canChange,
  onChanged,
}: {
  file: File;
  channel: string;
  isPrivate: boolean;
  selected: boolean;
  onSelect: () => void;
  canChange: boolean;
  onChanged: (text: string) => void;
}) {
  const { api } = useAuth();
  const [action, setAction] = useState<Action>("none");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = cssId(key(file));

  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      setAction("none");
      onChanged(done);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const submitYank = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setError("Say why the file is yanked: people installing it will see the reason.");
      return;
    }
    void run(() => api.yankPackage(channel, file.subdir, file.filename, reason.trim()), `Yanked ${file.filename}.`);
  };

  return (
    <>
      <tr className={selected ? "file-row selected-row" : "file-row"}>
        <td data-label="File">
          <code>{file.filename}</code>
          <div>
            <button type="button" className="secondary small" onClick={onSelect} aria-pressed={selected} aria-label={`Show dependencies of ${file.filename}`}>
              Dependencies
            </button>
          </div>
        </td>
        <td data-label="Build">
          {file.build} <span className="muted">(#{file.build_number})</span>
        </td>
        <td data-label="Size" className="num">{formatBytes(file.size)}</td>
        <td data-label="Checksums">
          {file.sha256 && (
            <div>
              <span className="muted small">sha256 </span>
              <span className="hash">{file.sha256}</span> <CopyButton text={file.sha256} label={`sha256 of ${file.filename}`} />
            </div>
          )}
          {file.md5 && (
            <div>
              <span className="muted small">md5 </span>
              <span className="hash">{file.md5}</span> <CopyButton text={file.md5} label={`md5 of ${file.filename}`} />
            </div>
          )}
        </td>
        <td data-label="Uploaded">
          <Time value={uploadedAt(file)} />
        </td>
        <td data-label="Uploaded by">{uploaderText(file)}</td>
        <td data-label="State">
          {file.yanked ? (
            <>
              <span className="badge badge-yanked">Yanked</span>
              <p className="small">
                “{file.yanked.reason}” — {file.yanked.by}, <Time value={file.yanked.at} />
              </p>
            </>
          ) : (
            "Available"
          )}
          {canChange && (
            <div className="actions">
              {file.yanked ? (
                <button
                  type="button"
                  className="secondary small"
                  disabled={busy}
                  onClick={() => void run(() => api.unyankPackage(channel, file.subdir, file.filename), `Unyanked ${file.filename}.`)}
                  aria-label={`Unyank ${file.filename}`}
                >
                  Unyank
                </button>
              ) : (
                <button type="button" className="secondary small" onClick={() => setAction("yank")} aria-label={`Yank ${file.filename}`}>
                  Yank
                </button>
              )}
              <button type="button" className="secondary small" onClick={() => setAction("delete")} aria-label={`Delete ${file.filename}`}>
                Delete
              </button>
            </div>
          )}
          {action === "none" && <ErrorText>{error}</ErrorText>}
        </td>
      </tr>
      <tr className={selected ? "attestation-row selected-row" : "attestation-row"}>
        <td colSpan={7} data-label="Attestation">
          <AttestationInfo attestation={file.attestation} filename={file.filename} channel={channel} isPrivate={isPrivate} />
        </td>
      </tr>
      {action !== "none" && (
        <tr>
          <td colSpan={7}>
            {action === "delete" ? (
              <div className="confirm" role="group" aria-labelledby={`del-${id}`}>
                <p id={`del-${id}`}>
                  Delete <code>{file.subdir}/{file.filename}</code>? It stops being served and leaves the index: environments
                  and lock files that name it will fail to install. To only stop solvers from choosing it, yank it instead.
                </p>
                <ErrorText>{error}</ErrorText>
                <div className="actions">
                  <button
                    type="button"
                    className="danger"
                    disabled={busy}
                    onClick={() => void run(() => api.deletePackage(channel, file.subdir, file.filename), `Deleted ${file.filename}.`)}
                  >
                    {busy ? "Deleting…" : `Delete ${file.filename} for good`}
                  </button>
                  <button type="button" className="secondary" onClick={() => setAction("none")}>
                    Cancel
                  </button>
                </div>
              </div>
            ) : (
              <form className="confirm" onSubmit={submitYank} noValidate>
                <p>
                  Yank <code>{file.subdir}/{file.filename}</code>: solvers stop choosing it, but it stays downloadable for lock files
                  that name it.
                </p>
                <div className="field">
                  <label htmlFor={`yank-${id}`}>Reason for yanking</label>
                  <input
                    id={`yank-${id}`}
                    value={reason}
                    maxLength={300}
                    onChange={(e) => setReason(e.target.value)}
                    aria-describedby={`yank-${id}-error`}
                    aria-invalid={error ? true : undefined}
                  />
                </div>
                <ErrorText id={`yank-${id}-error`}>{error}</ErrorText>
                <div className="actions">
                  <button type="submit" disabled={busy}>
                    {busy ? "Yanking…" : `Yank ${file.filename}`}
                  </button>
                  <button type="button" className="secondary" onClick={() => setAction("none")}>
                    Cancel
                  </button>
                </div>
              </form>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
