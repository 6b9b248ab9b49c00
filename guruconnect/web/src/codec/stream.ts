// The pixel stream's inflater (guruconnect-codec's stream.rs): one raw deflate stream from key
// frame to key frame, each frame's part sync-flushed, inflated here in the decode worker with
// pako (zlib's inflate in JavaScript; the parts are small rectangles, and the browser's own
// DecompressionStream cannot tell when a part has given all it holds).
import { Inflate, Z_SYNC_FLUSH } from "pako";

export class StreamInflater {
  private inflater = new Inflate({ raw: true });
  private intact = true;

  /** A key frame starts the stream again. */
  reset(): void {
    this.inflater = new Inflate({ raw: true });
    this.intact = true;
  }

  /** False after a part did not inflate cleanly, until the next key frame. */
  get usable(): boolean {
    return this.intact;
  }

  /** A frame refused after its part was inflated leaves the picture behind the stream. */
  breakOff(): void {
    this.intact = false;
  }

  /** Inflates one frame's part, which must hold exactly `size` bytes; throws otherwise. */
  next(part: Uint8Array, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let filled = 0;
    this.inflater.onData = (chunk: Uint8Array) => {
      if (filled + chunk.length > size) throw new Error(`the part holds more than ${size} bytes`);
      out.set(chunk, filled);
      filled += chunk.length;
    };
    try {
      this.inflater.push(part, Z_SYNC_FLUSH);
    } catch (e) {
      this.intact = false;
      throw e;
    }
    if (this.inflater.err || this.inflater.ended || filled !== size) {
      this.intact = false;
      const why = this.inflater.err ? (this.inflater.msg ?? "corrupt") : `${filled} bytes in the part, expected ${size}`;
      throw new Error(why);
    }
    return out;
  }
}
