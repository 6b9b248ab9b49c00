// The GuruConnect wire protocol in the browser: one protobuf `Envelope` per binary WebSocket
// message (see guruconnect/proto/guruconnect.proto). Types come from src/gen (ts-proto).
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Envelope } from "../gen/guruconnect";

export * from "../gen/guruconnect";

/** One message: the envelope's payload, narrowed by `$case`. */
export type Payload = NonNullable<Envelope["payload"]>;

/** The protocol version this viewer speaks (guruconnect-proto's PROTOCOL_VERSION). */
export const PROTOCOL_VERSION = 1;

/** Viewers send input and control only; the relay refuses anything larger. */
export const MAX_VIEWER_MESSAGE_BYTES = 64 * 1024;

export function encode(payload: Payload): Uint8Array<ArrayBuffer> {
  return Envelope.encode({ payload }).finish() as Uint8Array<ArrayBuffer>;
}

/** Decodes one message; throws on malformed bytes. An unknown arm decodes to `undefined`. */
export function decode(bytes: Uint8Array): Payload | undefined {
  return Envelope.decode(new BinaryReader(bytes)).payload;
}
