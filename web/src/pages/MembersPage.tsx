// /channels/:channel/members: who has which role; owners add people found by search,
// change roles and remove them. The last-owner rule is explained where it applies.
import { useEffect, useId, useState, type FormEvent } from "react";
import type { Channel, Member, Role } from "../api/types";
import { describeError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { ChannelFrame } from "../components/ChannelFrame";
import { EmptyState, ErrorText, LoadError, Loading, StatusText } from "../components/Feedback";
import { Pager, usePaged } from "../components/Pagination";
import { Time } from "../components/Time";
import { useAsync } from "../lib/useAsync";
import {
  isLastOwner,
  LAST_OWNER_EXPLANATION,
  ownerCount,
  ROLE_HELP,
  ROLES,
  searchQuery,
  sortMembers,
} from "../members/rules";
import "../webb.css";

export default function MembersPage() {
  return <ChannelFrame title="Members">{({ channel }) => <Members channel={channel} />}</ChannelFrame>;
}

function Members({ channel }: { channel: Channel }) {
  const auth = useAuth();
  const isOwner = channel.role === "owner";
  const state = useAsync((_signal) => auth.api.listMembers(channel.name), [auth.api, channel.name]);
  const members = sortMembers(state.data?.members ?? []);
  const paged = usePaged(members);
  const [notice, setNotice] = useState<string | null>(null);

  const replace = (member: Member) =>
    state.setData((old) => ({
      members: [...(old?.members ?? []).filter((m) => m.user !== member.user), member],
    }));
  const drop = (user: string) =>
    state.setData((old) => ({ members: (old?.members ?? []).filter((m) => m.user !== user) }));

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <ul className="help">
        {ROLES.map((role) => (
          <li key={role}>
            <strong>{role}</strong>: {ROLE_HELP[role]}
          </li>
        ))}
      </ul>
      {isOwner && (
        <AddMember
          channel={channel.name}
          existing={members}
          onAdded={(member) => {
            replace(member);
            setNotice(`${member.user} is now a ${member.role} of ${channel.name}.`);
          }}
        />
      )}
      {notice && <StatusText>{notice}</StatusText>}
      {state.loading && !state.data ? (
        <Loading what="Loading members" />
      ) : state.error ? (
        <LoadError text={state.errorText ?? ""} onRetry={state.reload} />
      ) : members.length === 0 ? (
        <EmptyState title="No members yet">
          {isOwner
            ? "Add people above: search for the username they chose when they signed in."
            : "Only owners can add members."}
        </EmptyState>
      ) : (
        <>
          {isOwner && ownerCount(members) === 1 && <p className="rule">{LAST_OWNER_EXPLANATION}</p>}
          <div className="table-wrap">
            <table className="stack">
              <caption className="muted small">
                {members.length} member{members.length === 1 ? "" : "s"}
              </caption>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Added by</th>
                  <th scope="col">Added</th>
                  {isOwner && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {paged.pageItems.map((member) => (
                  <MemberRow
                    key={member.user}
                    channel={channel.name}
                    member={member}
                    members={members}
                    isOwner={isOwner}
                    me={auth.me?.name ?? null}
                    onChanged={(m) => {
                      replace(m);
                      setNotice(`${m.user} is now a ${m.role}.`);
                    }}
                    onRemoved={(user) => {
                      drop(user);
                      setNotice(`${user} was removed from ${channel.name}.`);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={paged.page} pages={paged.pages} onPage={paged.setPage} label="Member pages" />
        </>
      )}
    </section>
  );
}

function MemberRow({
  channel,
  member,
  members,
  isOwner,
  me,
  onChanged,
  onRemoved,
}: {
  channel: string;
  member: Member;
  members: Member[];
  isOwner: boolean;
  me: string | null;
  onChanged: (member: Member) => void;
  onRemoved: (user: string) => void;
}) {
  const auth = useAuth();
  const [role, setRole] = useState<Role>(member.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const last = isLastOwner(member, members);
  const ruleId = useId();
  const errorId = useId();
  useEffect(() => setRole(member.role), [member.role]);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await auth.api.setMember(channel, member.user, role));
    } catch (e) {
      setError(describeError(e));
      setRole(member.role);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await auth.api.removeMember(channel, member.user);
      onRemoved(member.user);
    } catch (e) {
      setError(describeError(e));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr>
      <td data-label="User">
        {member.user}
        {member.user === me ? <span className="muted"> (you)</span> : null}
      </td>
      <td data-label="Role">{member.role}</td>
      <td data-label="Added by">{member.added_by || "—"}</td>
      <td data-label="Added">
        <Time value={member.added_at} />
      </td>
      {isOwner && (
        <td data-label="Actions">
          <div className="row-controls">
            <label htmlFor={`role-${member.user}`} className="small">
              Role of {member.user}
            </label>
            <select
              id={`role-${member.user}`}
              value={role}
              onChange={(e) => setRole(e.target.value as Role)}
              aria-describedby={`${last ? ruleId : ""} ${error ? errorId : ""}`.trim() || undefined}
              disabled={busy}
            >
              {ROLES.map((r) => (
                <option key={r} value={r} disabled={last && r !== "owner"}>
                  {r}
                </option>
              ))}
            </select>
            <button type="button" className="small" onClick={save} disabled={busy || role === member.role}>
              Change role of {member.user}
            </button>
            {confirming ? (
              <>
                <button type="button" className="danger small" onClick={remove} disabled={busy}>
                  Confirm: remove {member.user}
                </button>
                <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
                  Keep {member.user}
                </button>
              </>
            ) : (
              <button
                type="button"
                className="secondary small"
                onClick={() => setConfirming(true)}
                disabled={busy || last}
                aria-describedby={last ? ruleId : undefined}
              >
                Remove {member.user}
              </button>
            )}
          </div>
          {last && (
            <p id={ruleId} className="help">
              The only owner cannot be removed or demoted: make someone else an owner first.
            </p>
          )}
          <ErrorText id={errorId}>{error}</ErrorText>
        </td>
      )}
    </tr>
  );
}

function AddMember({
  channel,
  existing,
  onAdded,
}: {
  channel: string;
  existing: Member[];
  onAdded: (member: Member) => void;
}) {
  const auth = useAuth();
  const [text, setText] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [searchedFor, setSearchedFor] = useState<string | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const query = searchQuery(text);

  // Suggest signed-in users whose name starts with what was typed (GET /users?q=).
  useEffect(() => {
    if (!query) {
      setSuggestions([]);
      setSearchError(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      auth.api
        .searchUsers(query, controller.signal)
        .then((found) => {
          setSuggestions(found.users);
          setSearchedFor(query);
          setSearchError(null);
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setSearchError(describeError(e));
        });
    }, 200);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [auth.api, query]);

  const already = new Set(existing.map((m) => m.user));
  const user = text.trim().toLowerCase();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!user) {
      setError("Type a username first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const member = await auth.api.setMember(channel, user, role);
      onAdded(member);
      setText("");
      setSuggestions([]);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="add-member" onSubmit={submit} aria-labelledby="add-member-title" noValidate>
      <h3 id="add-member-title">Add member</h3>
      <div className="inline-form">
        <div className="field search-field">
          <label htmlFor="member-search">Username</label>
          <input
            id="member-search"
            type="search"
            autoComplete="off"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby="member-search-help"
            aria-invalid={error ? true : undefined}
            aria-controls={query && searchedFor === query ? "member-suggestions" : undefined}
          />
          <p id="member-search-help" className="help">
            Type the start of a name: people who signed in and chose a username are suggested.
          </p>
          {query && searchedFor === query && suggestions.length > 0 && (
            <ul id="member-suggestions" className="suggestions" aria-label="Matching users">
              {suggestions.map((name) => (
                <li key={name}>
                  <button type="button" aria-pressed={name === user} onClick={() => setText(name)}>
                    {name}
                    {already.has(name) ? " (already a member)" : ""}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {query && searchedFor === query && suggestions.length === 0 && !searchError && (
            <p id="member-suggestions" className="help" role="status">
              No signed-in user starts with “{query}”. Ask them to sign in and choose a username, or type their exact name.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="member-role">Role</label>
          <select id="member-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field button-field">
          <button type="submit" disabled={busy}>
            Add member
          </button>
        </div>
      </div>
      <ErrorText>{searchError && `Search failed: ${searchError}`}</ErrorText>
      <ErrorText>{error}</ErrorText>
    </form>
  );
}
