import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { EmptyState, LoadError, Loading } from "../components/Feedback";
import { usePageTitle } from "../components/Layout";
import { Pager, usePaged } from "../components/Pagination";
import { VisibilityBadge } from "../components/ChannelHeader";
import { useAsync } from "../lib/useAsync";

export function filterChannels(channels: readonly Channel[], filter: string): Channel[] {
  const f = filter.trim().toLowerCase();
  const sorted = [...channels].sort((a, b) => a.name.localeCompare(b.name));
  return f ? sorted.filter((c) => c.name.includes(f) || c.description.toLowerCase().includes(f)) : sorted;
}

function ChannelList({ channels, label }: { channels: Channel[]; label: string }) {
  const { pageItems, page, pages, setPage } = usePaged(channels);
  return (
    <>
      <ul className="card-list" aria-label={label}>
        {pageItems.map((c) => (
          <li key={c.name} className="card">
            <div className="card-head">
              {c.logo_url && <img src={c.logo_url} alt="" className="logo-small" loading="lazy" referrerPolicy="no-referrer" />}
              <Link to={`/channels/${encodeURIComponent(c.name)}`} className="card-title">
                {c.name}
              </Link>
              <VisibilityBadge visibility={c.visibility} />
            </div>
            {c.description && <p className="card-desc">{c.description}</p>}
            {(c.owner || c.role) && (
              <p className="muted small card-meta">
                {c.owner && <span>Owner: {c.owner}</span>}
                {c.role && <span>Your role: {c.role}</span>}
              </p>
            )}
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} onPage={setPage} label={`${label}: pages`} />
    </>
  );
}

/** /: public channels and the caller's own, filtered by name. */
export default function HomePage() {
  usePageTitle("Channels");
  const auth = useAuth();
  const [filter, setFilter] = useState("");
  const me = auth.me?.name ?? null;
  // Reload when the caller changes: signing in adds their private channels.
  // (Not before a username is chosen: the API refuses, and the gate redirects anyway.)
  const waiting = auth.status === "loading" || (auth.status === "signed-in" && !auth.me && !auth.error) || auth.needsName;
  const list = useAsync(
    () => (waiting ? new Promise<never>(() => undefined) : auth.api.listChannels()),
    [auth.api, waiting, me],
  );

  const { mine, others } = useMemo(() => {
    const all = filterChannels(list.data?.channels ?? [], filter);
    // The list holds public channels plus private ones the caller can read, each with
    // the caller's role there: a role on a public channel makes it theirs too.
    const isMine = (c: Channel) => me !== null && (Boolean(c.role) || c.owner === me || c.visibility === "private");
    return { mine: all.filter(isMine), others: all.filter((c) => !isMine(c)) };
  }, [list.data, filter, me]);

  const total = list.data?.channels.length ?? 0;

  return (
    <>
      <div className="page-head">
        <h1>Channels</h1>
        {me && (
          <Link to="/channels/new" className="button">
            Create a channel
          </Link>
        )}
      </div>
      <p className="lede">Conda channels hosted here, ready for pixi, conda, mamba and rattler-build.</p>
      <div className="field filter">
        <label htmlFor="channel-filter">Filter channels by name</label>
        <input
          id="channel-filter"
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      {list.loading && !list.data && <Loading what="Loading channels" />}
      {list.errorText && <LoadError text={list.errorText} onRetry={list.reload} />}
      {list.data && (
        <>
          {me && (
            <section aria-labelledby="mine-heading">
              <h2 id="mine-heading">Your channels</h2>
              {mine.length > 0 ? (
                <ChannelList channels={mine} label="Your channels" />
              ) : filter ? (
                <EmptyState title={`None of your channels matches “${filter}”.`} />
              ) : (
                <EmptyState title="You have no channels yet.">
                  <Link to="/channels/new">Create your first channel</Link> to publish packages.
                </EmptyState>
              )}
            </section>
          )}
          <section aria-labelledby="public-heading">
            <h2 id="public-heading">{me ? "Other public channels" : "Public channels"}</h2>
            {others.length > 0 ? (
              <ChannelList channels={others} label={me ? "Other public channels" : "Public channels"} />
            ) : filter && total > 0 ? (
              <EmptyState title={`No channel matches “${filter}”.`}>Try a shorter part of the name.</EmptyState>
            ) : (
              <EmptyState title="No public channels yet.">
                {me ? (
                  <>
                    <Link to="/channels/new">Create one</Link> and make it public.
                  </>
                ) : auth.signInAvailable ? (
                  <>Sign in to create a channel or see the private channels you belong to.</>
                ) : null}
              </EmptyState>
            )}
          </section>
        </>
      )}
    </>
  );
}
