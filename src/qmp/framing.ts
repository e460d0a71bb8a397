// QEMU writes one JSON object per line, ended by "\r\n". Socket chunks cut lines anywhere, so bytes are
// kept until a newline arrives. Splitting on the byte 0x0a is safe for UTF-8: it never occurs inside a
// multi-byte character.
import { MessageTooLargeError } from './errors.js';

/** 10 MiB, the limit libvirt and python qemu.qmp use for one QMP message. */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  #parts: Buffer[] = [];
  #partBytes = 0;

  constructor(maxBytes: number, onLine: (line: string) => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
  }

  /** Feed one chunk; calls onLine for every complete non-blank line. Throws MessageTooLargeError. */
  push(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl !== -1 && this.#partBytes > 0) {
      // The first newline ends the line begun in earlier chunks.
      this.#check(this.#partBytes + nl);
      this.#parts.push(chunk.subarray(0, nl));
      const whole = Buffer.concat(this.#parts);
      this.#parts = [];
      this.#partBytes = 0;
      this.#emit(whole, 0, whole.length);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      this.#check(nl - start);
      this.#emit(chunk, start, nl);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      this.#check(this.#partBytes + chunk.length - start);
      this.#parts.push(chunk.subarray(start));
      this.#partBytes += chunk.length - start;
    }
  }

  #check(bytes: number): void {
    if (bytes > this.#maxBytes) {
      this.#parts = [];
      this.#partBytes = 0;
      throw new MessageTooLargeError(this.#maxBytes);
    }
  }

  #emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--;
    // Blank lines carry nothing; QEMU never sends them, but tolerating them costs nothing.
    if (end > start) this.#onLine(buf.toString('utf8', start, end));
  }
}
