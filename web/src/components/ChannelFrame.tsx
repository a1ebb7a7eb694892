import type { ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError, isNotFound } from "../api/errors";
import type { Channel } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { useAsync } from "../lib/useAsync";
import { ChannelHeader } from "./ChannelHeader";
import { LoadError, Loading } from "./Feedback";
import { usePageTitle } from "./Layout";

export interface ChannelContext {
  channel: Channel;
  /** fetch the channel again (e.g. after a settings change) */
  reload: () => void;
  /** replace the channel shown, e.g. with the PATCH answer (keeps the caller's role) */
  setChannel: (channel: Channel) => void;
}

/**
 * Loads /channels/:channel's channel and renders its header and tabs, then
 * `children(ctx)`. Every channel tab page uses it:
 *   <ChannelFrame title="Members">{({ channel }) => ...}</ChannelFrame>
 */
export function ChannelFrame({ title, children }: { title: string; children: (ctx: ChannelContext) => ReactNode }) {
  const { channel: name = "" } = useParams();
  const auth = useAuth();
  usePageTitle(title ? `${title} · ${name}` : name);
  const state = useAsync((signal) => auth.api.getChannel(name, signal), [auth.api, name, auth.status, auth.me?.name]);

  if (state.loading && !state.data) return <Loading what="Loading the channel" />;
  if (state.error) {
    const anonymous = state.error instanceof ApiError && state.error.status === 401;
    if (isNotFound(state.error) || anonymous) {
      return (
        <section>
          <h1>Channel not found</h1>
          <p>
            There is no channel “{name}”, or it is private and you are not a member.
          </p>
          <p className="actions">
            {auth.status === "signed-out" && auth.signInAvailable && (
              <button type="button" onClick={() => void auth.signIn()}>
                Sign in to see private channels
              </button>
            )}
            <Link to="/">See all channels</Link>
          </p>
        </section>
      );
    }
    return <LoadError text={state.errorText ?? ""} onRetry={state.reload} />;
  }
  const channel = state.data;
  if (!channel) return null;
  const ctx: ChannelContext = {
    channel,
    reload: state.reload,
    setChannel: (c) => state.setData((old) => ({ ...c, role: c.role ?? old?.role ?? null })),
  };
  return (
    <>
      <ChannelHeader channel={channel} />
      {children(ctx)}
    </>
  );
}
