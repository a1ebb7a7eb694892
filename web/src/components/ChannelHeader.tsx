import type { ReactNode } from "react";
import type { Channel } from "../api/types";
import { ChannelNav } from "./ChannelNav";

export function VisibilityBadge({ visibility }: { visibility: Channel["visibility"] }) {
  return <span className={`badge badge-${visibility}`}>{visibility === "private" ? "Private" : "Public"}</span>;
}

/** The top of every channel page: logo, name, visibility, owner, description, tabs. */
export function ChannelHeader({ channel, children }: { channel: Channel; children?: ReactNode }) {
  return (
    <header className="channel-header">
      <div className="channel-title">
        {channel.logo_url && (
          <img src={channel.logo_url} alt={`${channel.name} logo`} className="logo" referrerPolicy="no-referrer" />
        )}
        <div>
          <h1>{channel.name}</h1>
          <p className="channel-meta">
            <VisibilityBadge visibility={channel.visibility} />
            {channel.owner && <span>Owner: {channel.owner}</span>}
            {channel.role && <span>Your role: {channel.role}</span>}
          </p>
        </div>
      </div>
      {channel.description && <p className="channel-desc">{channel.description}</p>}
      {children}
      <ChannelNav channel={channel} />
    </header>
  );
}
