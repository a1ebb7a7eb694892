import { NavLink } from "react-router-dom";
import type { Channel } from "../api/types";

/** The channel's tabs; each shows only to roles that may use it (the API decides anyway). */
export function ChannelNav({ channel }: { channel: Pick<Channel, "name" | "role"> }) {
  const base = `/channels/${encodeURIComponent(channel.name)}`;
  const role = channel.role ?? null;
  const canUpload = role === "owner" || role === "maintainer";
  return (
    <nav className="tabs" aria-label="Channel">
      <NavLink to={base} end>
        Packages
      </NavLink>
      {canUpload && <NavLink to={`${base}/upload`}>Upload</NavLink>}
      {canUpload && <NavLink to={`${base}/members`}>Members</NavLink>}
      {role === "owner" && <NavLink to={`${base}/settings`}>Settings</NavLink>}
      {role === "owner" && <NavLink to={`${base}/audit`}>Audit log</NavLink>}
    </nav>
  );
}
