import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ChannelFrame } from "../components/ChannelFrame";
import { Snippet } from "../components/CopyButton";
import { EmptyState, LoadError, Loading } from "../components/Feedback";
import { Pager, usePaged } from "../components/Pagination";
import { SnippetList } from "../components/SnippetTabs";
import { Time } from "../components/Time";
import { formatBytes, plural } from "../lib/format";
import { fetchAllFiles, summarizePackages } from "../lib/packages";
import { authSnippets, channelUrl, installSnippets } from "../lib/snippets";
import { useAsync } from "../lib/useAsync";

/** /channels/:channel — the Packages tab. */
export default function ChannelPage() {
  return <ChannelFrame title="">{({ channel }) => <Packages channel={channel} />}</ChannelFrame>;
}

function Packages({ channel }: { channel: Channel }) {
  const { api } = useAuth();
  const [filter, setFilter] = useState("");
  const files = useAsync((signal) => fetchAllFiles(api, channel.name, {}, signal), [api, channel.name]);
  const rows = useMemo(() => summarizePackages(files.data?.files ?? []), [files.data]);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? rows.filter((r) => r.name.toLowerCase().includes(f) || r.summary.toLowerCase().includes(f)) : rows;
  }, [rows, filter]);
  const { pageItems, page, pages, setPage } = usePaged(shown);
  const subdirs = useMemo(() => [...new Set((files.data?.files ?? []).map((f) => f.subdir))].sort(), [files.data]);
  const totalSize = useMemo(() => (files.data?.files ?? []).reduce((n, f) => n + (f.size ?? 0), 0), [files.data]);
  const origin = window.location.origin;
  const ref = { origin, channel: channel.name, isPrivate: channel.visibility === "private" };
  const canUpload = channel.role === "owner" || channel.role === "maintainer";
  const base = `/channels/${encodeURIComponent(channel.name)}`;
  const example = rows[0]?.name ?? "<package>";

  return (
    <>
      <section aria-labelledby="packages-heading">
        <h2 id="packages-heading">Packages</h2>
        {files.loading && !files.data && <Loading what="Loading packages" />}
        {files.errorText && <LoadError text={files.errorText} onRetry={files.reload} />}
        {files.data && (
          <>
            <dl className="facts">
              <dt>Packages</dt>
              <dd>
                {rows.length} ({plural(files.data.files.length, "file")}, {formatBytes(totalSize)})
                {files.data.truncated && " — showing the first 10,000 files only"}
              </dd>
              <dt>Platforms</dt>
              <dd>{subdirs.length ? subdirs.join(", ") : "none yet"}</dd>
              <dt>Channel URL</dt>
              <dd>
                <code>{channelUrl(origin, channel.name)}</code>
              </dd>
            </dl>
            {rows.length === 0 ? (
              <EmptyState title="No packages in this channel yet.">
                {canUpload ? (
                  <>
                    <p>
                      <Link to={`${base}/upload`}>Upload packages</Link> from your browser, or publish from the command line:
                    </p>
                    <Snippet
                      code={`rattler-build upload prefix --url ${origin} --channel ${channel.name} --api-key <your API key> <package>.conda`}
                      label="upload command"
                    />
                  </>
                ) : (
                  <p>Its maintainers have not published anything yet.</p>
                )}
              </EmptyState>
            ) : (
              <>
                <div className="field filter">
                  <label htmlFor="package-filter">Filter packages by name</label>
                  <input
                    id="package-filter"
                    type="search"
                    value={filter}
                    onChange={(e) => setFilter(e.target.value)}
                    autoComplete="off"
                    spellCheck={false}
                  />
                </div>
                {shown.length === 0 ? (
                  <EmptyState title={`No package matches “${filter}”.`}>Try a shorter part of the name.</EmptyState>
                ) : (
                  <>
                    <div className="table-wrap">
                      <table className="stack">
                        <caption className="visually-hidden">Packages in {channel.name}</caption>
                        <thead>
                          <tr>
                            <th scope="col">Name</th>
                            <th scope="col">Latest version</th>
                            <th scope="col">Platforms</th>
                            <th scope="col">Last upload</th>
                            <th scope="col">Summary</th>
                          </tr>
                        </thead>
                        <tbody>
                          {pageItems.map((r) => (
                            <tr key={r.name}>
                              <td data-label="Name">
                                <Link to={`${base}/packages/${encodeURIComponent(r.name)}`}>{r.name}</Link>
                              </td>
                              <td data-label="Latest version">
                                {r.latestVersion}
                                {r.allYanked && <span className="badge badge-yanked"> yanked</span>}
                              </td>
                              <td data-label="Platforms">{r.subdirs.join(", ")}</td>
                              <td data-label="Last upload">
                                <Time value={r.lastUpload} />
                              </td>
                              <td data-label="Summary">{r.summary}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                    <Pager page={page} pages={pages} onPage={setPage} label="Packages: pages" />
                  </>
                )}
              </>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="install-heading">
        <h2 id="install-heading">Install from this channel</h2>
        <SnippetList snippets={installSnippets(ref, example)} />
      </section>

      {ref.isPrivate && (
        <section aria-labelledby="auth-heading">
          <h2 id="auth-heading">Authenticate to this private channel</h2>
          <p>
            Installing from a private channel needs an API key of a member. Create one on your{" "}
            <Link to="/account">account page</Link> (scope “read” is enough), then give it to your client:
          </p>
          <SnippetList snippets={authSnippets(ref)} />
        </section>
      )}
    </>
  );
}
