// What to do about a refusal, in words, for the reason codes people meet most on the
// upload page. The server's own message always stays next to it (it names the file
// and the limit); this adds the next step.
const ADVICE: Record<string, string> = {
  "already-exists":
    "A file with this name is already in the channel. Build a new version or build number, or delete the old file first.",
  "name-case-conflict":
    "The channel already has this package spelled with other upper/lower case in this subdir; delete the old spelling's files first.",
  "too-large": "The package is over this deployment's size limit.",
  "unknown-extension": "Only .conda and .tar.bz2 packages can be uploaded.",
  "invalid-filename": "Package files are named <name>-<version>-<build>.conda or .tar.bz2, as conda-build and rattler-build write them.",
  "name-not-lowercase": "Conda package names are lower-case; rebuild the package with a lower-case name.",
  "filename-mismatch": "The file's name does not match the name, version and build in its info/index.json; upload it under the name the build tool gave it.",
  "sha256-mismatch": "The bytes that arrived are not the ones hashed here; the file may have changed while uploading. Try again.",
  "size-mismatch": "The bytes that arrived are not the size announced; try again.",
  "upload-expired": "The upload link expired before the file arrived; upload the file again.",
  "uploader-no-longer-authorized": "Your permission to upload here changed while the file was on its way, so nothing was published.",
  "forbidden": "You cannot upload to this channel: uploading needs the owner or maintainer role.",
  "channel-not-found": "The channel does not exist (any more), or you cannot see it.",
  "channel-replaced": "The channel was deleted and created again while the file was on its way; upload it again.",
  "validation-failed": "The upload could not be processed for a reason that is not the package's; upload it again.",
  "expansion-too-large": "The package unpacks to far more than its size (a possible decompression bomb), so it was refused.",
  "corrupt-archive": "The archive is damaged; build the package again.",
  "missing-index-json": "The package has no info/index.json, so it is not a conda package.",
  "unsafe-path": "The package holds a file path that escapes its install prefix.",
  "unsafe-link": "The package holds a link that points outside its install prefix.",
  "network-error": "Check your connection and try again.",
  "storage-refused": "Storage refused the bytes; try again.",
  "timeout": "Validation is taking longer than usual.",
  "unauthenticated": "Your session ended; sign in again and retry.",
};

export function adviceFor(reason: string): string | null {
  return ADVICE[reason] ?? null;
}
