// Commands to paste for installing from a channel and for signing clients in (pure:
// tested). A token is never embedded: the commands say where it goes.

export interface ChannelRef {
  /** e.g. https://conda.example.org */
  origin: string;
  channel: string;
  isPrivate: boolean;
}

export function channelUrl(origin: string, channel: string): string {
  return `${origin.replace(/\/+$/, "")}/${channel}`;
}

export function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

export interface Snippet {
  id: string;
  title: string;
  code: string;
  note?: string;
}

/** The install commands of one package (or a placeholder) for pixi, conda and mamba. */
export function installSnippets(ref: ChannelRef, pkg = "<package>", version?: string): Snippet[] {
  const url = channelUrl(ref.origin, ref.channel);
  const spec = version ? `${pkg}==${version}` : pkg;
  const quoted = version ? `"${spec}"` : spec;
  return [
    { id: "pixi", title: "pixi", code: `pixi workspace channel add ${url}\npixi add ${quoted}` },
    { id: "conda", title: "conda", code: `conda install -c ${url} ${quoted}` },
    { id: "mamba", title: "mamba", code: `mamba install -c ${url} ${quoted}` },
  ];
}

/** How each client authenticates to a private channel. */
export function authSnippets(ref: ChannelRef): Snippet[] {
  const host = hostOf(ref.origin);
  const base = ref.origin.replace(/\/+$/, "");
  return [
    {
      id: "pixi-auth",
      title: "pixi",
      code: `pixi auth login ${host} --token <your API key>`,
      note: "pixi then sends the key with every request to this host.",
    },
    {
      id: "rattler-build-auth",
      title: "rattler-build",
      code: `rattler-build auth login ${host} --token <your API key>`,
    },
    {
      id: "conda-auth",
      title: "conda",
      code: `conda install -c ${base}/t/<your API key>/${ref.channel} <package>`,
      note: "conda reads the key from the /t/<key>/ part of the channel URL (use a rillet-key-… key), or from Basic credentials in it: https://user:<key>@host/channel.",
    },
    {
      id: "mamba-auth",
      title: "mamba",
      code: `mamba install -c ${base}/t/<your API key>/${ref.channel} <package>`,
      note: "mamba, like conda, reads the key from the /t/<key>/ part of the channel URL.",
    },
  ];
}

/** Sign-in snippets for the account page. */
export function loginSnippets(origin: string): Snippet[] {
  const host = hostOf(origin);
  const base = origin.replace(/\/+$/, "");
  return [
    { id: "pixi-login", title: "pixi", code: `pixi auth login ${host} --token <your API key>` },
    { id: "rattler-build-login", title: "rattler-build", code: `rattler-build auth login ${host} --token <your API key>` },
    {
      id: "rillet-login",
      title: "rillet CLI",
      code: `rillet login ${base}`,
      note: "Opens this site's sign-in in your browser and stores a key for the machine.",
    },
  ];
}
