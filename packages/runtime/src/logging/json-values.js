// Splits a byte stream of concatenated JSON objects and arrays into the values, chunk by chunk: the
// framing of Fluentd's forward protocol in its JSON mode (in_forward reads a connection whose first
// byte is `{` or `[` as JSON values one after another, and answers acks the same way). Used by the
// forwarder's connection for the acks and by the forward receiver of the tests and the bench.
//
// Only the boundaries are found here (brackets outside strings, each byte looked at once); the caller
// JSON.parses each value, which rejects whatever is not JSON. Plain JavaScript with JSDoc (type-checked by tsc).

export class JsonValues {
  /** @type {Buffer[]} The bytes of the value in progress, before the current chunk. */
  #held = [];
  #heldBytes = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** @param {number} maxValueBytes a value longer than this is an error (a peer that never ends one) */
  constructor(maxValueBytes) {
    this.maxValueBytes = maxValueBytes;
  }

  /**
   * The values that the bytes so far complete, in order (views of `chunk` where they can be).
   * Throws on a byte that cannot start a value (only objects and arrays are values here) or on a value
   * longer than maxValueBytes; the stream is then unusable.
   * @param {Buffer} chunk
   * @returns {Buffer[]}
   */
  push(chunk) {
    /** @type {Buffer[]} */
    const values = [];
    let start = this.#depth === 0 ? -1 : 0;
    // Inside a string only `"` and `\` matter: found by indexOf (the next backslash kept, not searched again).
    let nextBackslash = -2;
    for (let i = 0; i < chunk.length; i++) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          continue;
        }
        if (nextBackslash < i && nextBackslash !== -1) nextBackslash = chunk.indexOf(0x5c, i);
        const quote = chunk.indexOf(0x22, i);
        if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
          i = nextBackslash;
          this.#escaped = true;
        } else if (quote === -1) i = chunk.length;
        else {
          i = quote;
          this.#inString = false;
        }
        continue;
      }
      const b = /** @type {number} */ (chunk[i]);
      if (this.#depth === 0) {
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
        if (b !== 0x7b && b !== 0x5b) throw new Error(`JSON stream: byte 0x${b.toString(16)} where an object or an array was to begin`);
        start = i;
      }
      if (b === 0x22) this.#inString = true;
      else if (b === 0x7b || b === 0x5b) this.#depth++;
      else if ((b === 0x7d || b === 0x5d) && --this.#depth === 0) {
        const tail = chunk.subarray(start, i + 1);
        values.push(this.#held.length === 0 ? tail : Buffer.concat([...this.#held, tail]));
        this.#held = [];
        this.#heldBytes = 0;
        start = -1;
      }
    }
    if (this.#depth > 0) {
      const rest = chunk.subarray(start);
      this.#heldBytes += rest.length;
      if (this.#heldBytes > this.maxValueBytes) throw new Error(`JSON stream: a value longer than ${this.maxValueBytes} bytes`);
      this.#held.push(rest);
    }
    return values;
  }
}
