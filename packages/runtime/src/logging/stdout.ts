// The process's stdout for log lines: buffered in memory, written in chunks, flushed on every exit.
//
// WHY BUFFERED: one write(2) per line was half of the CPU of a 64-row /predict (one line per row).
// Lines now collect in memory and go out in one write of up to STDOUT_CHUNK_BYTES once
// STDOUT_MIN_BYTES are waiting, or every STDOUT_FLUSH_MS when fewer are (low traffic).
//
// WHY SYNCHRONOUS WRITES (sonic-boom sync: true with minLength) and not sonic-boom's async mode: an
// async write is in libuv's thread pool while it runs; a process that exits meanwhile (process.exit,
// an uncaught error) can lose that chunk, and a flushSync at exit would write the lines after it
// first. With synchronous chunk writes nothing is ever in flight: at exit, flushStdout() writes
// everything still buffered, in order. A full pipe blocks the writer (as before) instead of dropping.
//
// WHAT IS FLUSHED, AND WHEN: the 'exit' hook below runs on process.exit() (the SIGTERM/SIGINT
// shutdown of server.ts ends with it), on an uncaught exception or unhandled rejection, and when
// the event loop empties. WHAT THE BUFFER RISKS: a process killed without running JavaScript
// (SIGKILL, the kernel's OOM killer, V8's fatal out-of-memory, a native crash) loses the lines of its
// last STDOUT_FLUSH_MS, at most STDOUT_MIN_BYTES; with Fluentd forwarding on, the same records are
// also held by the forwarder until Fluentd acked them, and lost with the process too.
//
// WHY BYTES (sonic-boom's contentMode 'buffer'): the prediction lines arrive already UTF-8 encoded
// (record-json.ts); a string destination would decode and encode them again. The logger's own lines
// (start-up, errors, drift) are strings and are encoded on their way in: they are few.
import { pino, type DestinationStream } from 'pino';

/** Lines are written once this many bytes wait... */
export const STDOUT_MIN_BYTES = 8 * 1024;
/** ...in writes of at most this many bytes (sonic-boom's maxWrite; above STDOUT_MIN_BYTES)... */
export const STDOUT_CHUNK_BYTES = 64 * 1024;
/** ...and at least this often while fewer wait. */
export const STDOUT_FLUSH_MS = 100;

type SonicBoom = ReturnType<typeof pino.destination>;

/** The logger's view of stdout: whole lines as strings. */
export interface StdoutDestination extends DestinationStream {
  write(line: string): void;
}

let sonic: SonicBoom | null = null;
let stdout: StdoutDestination | null = null;

/** The one buffered stdout destination of the process (created on first use, with its exit hook). */
export function stdoutDestination(): StdoutDestination {
  if (stdout === null) {
    const boom = pino.destination({
      dest: 1,
      sync: true,
      minLength: STDOUT_MIN_BYTES,
      maxWrite: STDOUT_CHUNK_BYTES,
      periodicFlush: STDOUT_FLUSH_MS,
      contentMode: 'buffer',
    });
    sonic = boom;
    stdout = { write: (line: string) => void writeBytes(boom, Buffer.from(line, 'utf8')) };
    process.on('exit', flushStdout);
  }
  return stdout;
}

/** Writes lines that are already UTF-8 bytes to `stream` (a logger's destination): as they are to stdout, decoded to any other. */
export function writeLines(stream: DestinationStream, lines: Buffer): void {
  if (stream === stdout && sonic !== null) writeBytes(sonic, lines);
  else stream.write(lines.toString('utf8'));
}

// sonic-boom's types know only strings; in contentMode 'buffer' it takes (and keeps) Buffers.
const writeBytes = (boom: SonicBoom, bytes: Buffer): boolean => (boom.write as unknown as (b: Buffer) => boolean)(bytes);

/** Writes every buffered line now, synchronously. Safe to call at any time, also twice, also in an exit handler. */
export function flushStdout(): void {
  if (sonic === null) return;
  try {
    sonic.flushSync();
  } catch {
    // stdout closed (EPIPE) or destroyed: nothing left to write to.
  }
}
