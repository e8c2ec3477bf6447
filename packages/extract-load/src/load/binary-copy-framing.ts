/**
 * The framing of PostgreSQL's binary COPY format (docs, "COPY", "Binary Format"): a 19-byte header
 * (the signature `PGCOPY\n\377\r\n\0`, 4 bytes of flags, 4 bytes of header-extension length, then
 * the extension), tuples, and a 2-byte trailer (a field count of -1).
 *
 * ```ts
 * Buffer.concat([binaryCopyHeader, rows, binaryCopyTrailer]) // a COPY … FROM STDIN (FORMAT binary) input of its own
 * ```
 */
export const binaryCopyHeaderBytes = 19

/** A header without flags or extension. */
export const binaryCopyHeader = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])

export const binaryCopyTrailer = Buffer.from([0xff, 0xff])
