// zstd decompression for the frame decoder: WebAssembly (the zstddec package, zstd's own
// decoder compiled to WASM), several times faster than a JavaScript port. Loaded once per
// realm; the viewer runs it in its decode worker, tests in Node.
import { ZSTDDecoder } from "zstddec";

/** Decompresses `data`, which must hold exactly `size` bytes; anything else is corruption. */
export type Inflate = (data: Uint8Array, size: number) => Uint8Array;

let loading: Promise<Inflate> | null = null;

/** The WASM decompressor, once it has been instantiated. */
export function loadInflate(): Promise<Inflate> {
  loading ??= (async () => {
    const decoder = new ZSTDDecoder();
    await decoder.init();
    return (data, size) => exactly(decoder.decode(data, size + 1), size);
  })();
  return loading;
}

/**
 * zstddec hands back `heap[out, out + result)` without checking zstd's error codes, which are
 * huge lengths. With one byte of room beyond `size`, a stream that is too long, truncated or
 * corrupt can therefore never come back exactly `size` bytes long.
 */
function exactly(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length !== size) {
    throw new Error(`the stream holds ${bytes.length > size ? "more" : "fewer"} than ${size} bytes, or is corrupt`);
  }
  return bytes;
}
