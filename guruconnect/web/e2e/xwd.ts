// Reads `xwd -root` output (X Window Dump, ZPixmap, 24/32-bit TrueColor): the X server's own
// picture of the screen, which the viewer's canvas must match.

export interface XwdImage {
  width: number;
  height: number;
  /** [r, g, b] of one pixel. */
  rgb(x: number, y: number): [number, number, number];
}

export function readXwd(data: Buffer): XwdImage {
  const field = (i: number) => data.readUInt32BE(i * 4);
  const headerSize = field(0);
  const [format, depth, width, height] = [field(2), field(3), field(4), field(5)];
  const byteOrder = field(7);
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const ncolors = field(19);
  if (format !== 2 || depth !== 24 || bitsPerPixel !== 32) {
    throw new Error(`unsupported xwd: format ${format}, depth ${depth}, ${bitsPerPixel} bpp`);
  }
  const pixels = headerSize + ncolors * 12;
  return {
    width,
    height,
    rgb(x, y) {
      const o = pixels + y * bytesPerLine + x * 4;
      const word = byteOrder === 0 ? data.readUInt32LE(o) : data.readUInt32BE(o);
      return [(word >> 16) & 0xff, (word >> 8) & 0xff, word & 0xff];
    },
  };
}
