// /channels/:channel/audit (owners): time, actor, action, target, details; newest
// first, a page at a time (cursor); filter by action.
import { useState } from "react";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ChannelFrame } from "../components/ChannelFrame";
import { EmptyState, LoadError, Loading } from "../components/Feedback";
import { CursorPager, useCursorPages } from "../components/Pagination";
import { Time } from "../components/Time";
import { useAsync } from "../lib/useAsync";
import { actionWords, auditDetails, auditTarget, KNOWN_ACTIONS } from "../audit/describe";
import "../webb.css";

export const AUDIT_PAGE_SIZE = 50;

export default function AuditPage() {
  return (
    <ChannelFrame title="Audit log">
      {({ channel }) =>
        channel.role === "owner" ? (
          <AuditLog channel={channel} />
        ) : (
          <EmptyState title="Only owners read the audit log">
            Ask an owner of {channel.name} if you need to know who changed what.
          </EmptyState>
        )
      }
    </ChannelFrame>
  );
}

function AuditLog({ channel }: { channel: Channel }) {
  const auth = useAuth();
  const pages = useCursorPages();
  const [action, setAction] = useState("");
  const state = useAsync(
    (_signal) => auth.api.audit(channel.name, { limit: AUDIT_PAGE_SIZE, cursor: pages.cursor }),
    [auth.api, channel.name, pages.cursor],
  );

  const events = state.data?.events ?? [];
  const shown = action ? events.filter((e) => e.action === action) : events;
  const actions = [...new Set([...KNOWN_ACTIONS, ...events.map((e) => e.action)])].sort();

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="help">Everything that changed {channel.name}: uploads, deletes, members, settings, CI tokens. Newest first.</p>
      <div className="audit-filter">
        <div className="field">
          <label htmlFor="audit-action">Show action</label>
          <select id="audit-action" value={action} onChange={(e) => setAction(e.target.value)} aria-describedby="audit-action-help">
            <option value="">All actions</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a} ({actionWords(a)})
              </option>
            ))}
          </select>
          <p id="audit-action-help" className="help">
            Filters the events of this page.
          </p>
        </div>
      </div>
      {state.loading && !state.data ? (
        <Loading what="Loading the audit log" />
      ) : state.error ? (
        <LoadError text={state.errorText ?? ""} onRetry={state.reload} />
      ) : shown.length === 0 ? (
        <EmptyState title={events.length === 0 ? "Nothing recorded yet" : "No such events on this page"}>
          {events.length === 0
            ? "Uploads, member changes, settings changes and trusted-publishing tokens appear here as they happen."
            : "Choose “All actions”, or go to the next page."}
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((event, i) => (
                <tr key={`${event.at}-${i}`}>
                  <td data-label="Time">
                    <Time value={event.at} />
                  </td>
                  <td data-label="Actor">{event.actor}</td>
                  <td data-label="Action">
                    <code>{event.action}</code>
                    <br />
                    <span className="muted small">{actionWords(event.action)}</span>
                  </td>
                  <td data-label="Target">{auditTarget(event) || "—"}</td>
                  <td data-label="Details">
                    <ul className="details">
                      {auditDetails(event).map(([key, value]) => (
                        <li key={key}>
                          <span className="muted">{key}:</span> {value}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager
        page={pages.page}
        hasPrevious={pages.hasPrevious}
        nextCursor={state.data?.cursor}
        onPrevious={pages.previous}
        onNext={pages.next}
        label="Audit log pages"
      />
    </section>
  );
}
