// wawoff2 ships no types; this is the one function the fonts use (WOFF2 bytes in, TrueType bytes out).
declare module 'wawoff2/decompress.js' {
  export default function decompress(woff2: Uint8Array): Promise<Uint8Array>;
}
