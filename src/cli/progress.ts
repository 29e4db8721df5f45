/**
 * Shows how far a long job is, on stderr so stdout stays the result: on a terminal one line
 * rewritten in place (at most 10 times a second), otherwise a plain line every few seconds.
 */
export class ProgressLine {
  private lastAt = 0;
  private shown = false;
  private readonly intervalMs: number;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.intervalMs = stream.isTTY ? 100 : 2_000;
  }

  /** Shows `text` unless the last update was too recent (the first one always shows). */
  update(text: string): void {
    const now = Date.now();
    if (this.shown && now - this.lastAt < this.intervalMs) {
      return;
    }
    this.lastAt = now;
    this.shown = true;
    this.stream.write(this.stream.isTTY ? `\r${text}\x1b[K` : `${text}\n`);
  }

  /** Clears the rewritten line, so what follows starts on a clean one. */
  done(): void {
    if (this.shown && this.stream.isTTY) {
      this.stream.write('\r\x1b[K');
    }
  }
}
