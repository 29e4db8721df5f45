/** `hookpost archive` would not run: nothing was changed. The message says why. */
export class ArchiveRefusedError extends Error {
  override name = 'ArchiveRefusedError';
}

/** An archive file is missing, unreadable or differs from the manifest; `file` is its name in the archive dir. */
export class ArchiveFileError extends Error {
  override name = 'ArchiveFileError';

  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`archive file ${file}: ${reason}`);
  }
}
