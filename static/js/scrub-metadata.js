// Hidden data removed from photos on the reporter's device, before sealing: where a
// photo was taken (GPS), when, the camera, its owner's and the author's names,
// comments, XMP and appended extra pictures. Lossless: the picture's own bytes are
// copied unchanged, so it decodes to exactly the same pixels.
//
// The same rules as the server's portal/scrub/ (JPEG, PNG), plus WebP and HEIC:
//   JPEG  drop APP1 (Exif, XMP), APP13 (IPTC), COM, APP3-APP12, APP15, APP2 "MPF"
//         and anything after EOI; keep APP0 (JFIF), APP2 ICC, APP14 (Adobe)
//   PNG   drop tEXt, zTXt, iTXt, eXIf, tIME and anything after IEND
//   WebP  drop the EXIF and XMP chunks and clear their flags in VP8X
//   HEIC  (and AVIF) overwrite the Exif and XMP items in place, so that no box
//         offset changes: an empty Exif block padded with zeros, XMP with spaces
//
// scrubMetadata(bytes) -> { kind, bytes, removed: [names] }; kind "other" returns the
// input unchanged. A file that claims a format but breaks it throws ScrubError.

export class ScrubError extends Error {
  constructor(message) {
    super(message);
    this.name = "ScrubError";
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u32le = (b, i) => ((b[i + 3] << 24) >>> 0) + ((b[i + 2] << 16) | (b[i + 1] << 8) | b[i]);

/** "jpeg", "png", "webp", "heic" or "other", from the first bytes (never the name). */
export function detectKind(bytes) {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && PNG_SIGNATURE.every((value, i) => bytes[i] === value)) return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === "ftyp") {
    const brand = ascii(bytes, 8, 4);
    if (["heic", "heix", "heim", "heis", "hevc", "mif1", "msf1", "avif"].includes(brand)) return "heic";
  }
  return "other";
}

/** Whole-file joiner: a list of Uint8Array pieces into one. */
function join(pieces) {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function note(removed, what) {
  if (!removed.includes(what)) removed.push(what);
}

function jpegDropped(marker, start) {
  const begins = (text) => ascii(start, 0, Math.min(text.length, start.length)) === text;
  if (marker === 0xe1) {
    if (begins("Exif\0")) return "Exif (APP1)";
    if (begins("http://ns.adobe.com/")) return "XMP (APP1)";
    return "application data (APP1)";
  }
  if (marker === 0xed) return "IPTC / Photoshop data (APP13)";
  if (marker === 0xfe) return "comment (COM)";
  if (marker === 0xe2) return begins("MPF\0") ? "multi-picture index (APP2)" : null;
  if (marker >= 0xe3 && marker <= 0xef && marker !== 0xee) return `application data (APP${marker - 0xe0})`;
  return null;
}

function scrubJpeg(bytes, removed) {
  const pieces = [bytes.subarray(0, 2)];
  let i = 2;
  for (;;) {
    if (i >= bytes.length) throw new ScrubError("broken JPEG: it ends before the end-of-image marker");
    if (bytes[i] !== 0xff) throw new ScrubError("broken JPEG: expected a marker between segments");
    if (i + 1 >= bytes.length) throw new ScrubError("broken JPEG: it ends in the middle of a marker");
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) {
      pieces.push(bytes.subarray(i, i + 2));
      if (i + 2 < bytes.length) note(removed, "data after the end of the image");
      return join(pieces);
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pieces.push(bytes.subarray(i, i + 2));
      i += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) throw new ScrubError("broken JPEG: an unexpected marker between segments");
    if (i + 4 > bytes.length) throw new ScrubError("broken JPEG: it ends in the middle of a segment header");
    const length = u16be(bytes, i + 2);
    if (length < 2) throw new ScrubError("broken JPEG: a segment length is too short");
    const end = i + 2 + length;
    if (end > bytes.length) throw new ScrubError("broken JPEG: it ends in the middle of a segment");
    const name = jpegDropped(marker, bytes.subarray(i + 4, Math.min(end, i + 36)));
    if (name !== null) {
      note(removed, name);
      i = end;
      continue;
    }
    pieces.push(bytes.subarray(i, end));
    i = end;
    if (marker === 0xda) {
      // Entropy-coded data: up to the next marker that is not a stuffed byte (FF 00),
      // a restart marker (FF D0-D7) or a fill byte.
      let j = i;
      for (;;) {
        j = bytes.indexOf(0xff, j);
        if (j === -1 || j + 1 >= bytes.length) {
          // Cut off in the picture data: keep what there is (it is picture, not metadata).
          pieces.push(bytes.subarray(i));
          return join(pieces);
        }
        const following = bytes[j + 1];
        if (following === 0x00 || (following >= 0xd0 && following <= 0xd7) || following === 0xff) {
          j += following === 0xff ? 1 : 2;
          continue;
        }
        break;
      }
      pieces.push(bytes.subarray(i, j));
      i = j;
    }
  }
}

const PNG_DROPPED = {
  tEXt: "text (tEXt)",
  zTXt: "compressed text (zTXt)",
  iTXt: "international text or XMP (iTXt)",
  eXIf: "Exif (eXIf)",
  tIME: "modification time (tIME)",
};

function scrubPng(bytes, removed) {
  const pieces = [bytes.subarray(0, 8)];
  let i = 8;
  for (;;) {
    if (i + 8 > bytes.length) throw new ScrubError("broken PNG: it ends in the middle of a chunk header");
    const length = u32be(bytes, i);
    const type = ascii(bytes, i + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) throw new ScrubError("broken PNG: a chunk header is not valid");
    const end = i + 12 + length;
    if (end > bytes.length) throw new ScrubError("broken PNG: it ends in the middle of a chunk");
    if (Object.hasOwn(PNG_DROPPED, type)) {
      note(removed, PNG_DROPPED[type]);
    } else {
      pieces.push(bytes.subarray(i, end));
    }
    i = end;
    if (type === "IEND") {
      if (i < bytes.length) note(removed, "data after the end of the image");
      return join(pieces);
    }
  }
}

function scrubWebp(bytes, removed) {
  const declared = u32le(bytes, 4) + 8;
  if (declared > bytes.length) throw new ScrubError("broken WebP: it is shorter than its header says");
  const pieces = [];
  let i = 12;
  let vp8x = null;
  while (i < declared) {
    if (i + 8 > declared) throw new ScrubError("broken WebP: it ends in the middle of a chunk header");
    const type = ascii(bytes, i, 4);
    const size = u32le(bytes, i + 4);
    const end = i + 8 + size + (size % 2);
    if (end > declared) throw new ScrubError("broken WebP: a chunk runs past the end of the file");
    if (type === "EXIF") {
      note(removed, "Exif (EXIF chunk)");
    } else if (type === "XMP ") {
      note(removed, "XMP (XMP chunk)");
    } else {
      const chunk = bytes.slice(i, end); // a copy: VP8X's flags are changed below
      if (type === "VP8X") vp8x = chunk;
      pieces.push(chunk);
    }
    i = end;
  }
  if (declared < bytes.length) note(removed, "data after the end of the image");
  if (vp8x !== null && vp8x.length >= 9) vp8x[8] &= ~(0x08 | 0x04); // the EXIF and XMP flags
  const body = join(pieces);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 12));
  const size = body.length + 4;
  header[4] = size & 0xff;
  header[5] = (size >>> 8) & 0xff;
  header[6] = (size >>> 16) & 0xff;
  header[7] = (size >>> 24) & 0xff;
  return join([header, body]);
}

// --- HEIC / AVIF (ISO base media file format) --------------------------------------

function boxes(bytes, start, end) {
  const found = [];
  let i = start;
  while (i + 8 <= end) {
    let size = u32be(bytes, i);
    const type = ascii(bytes, i + 4, 4);
    let header = 8;
    if (size === 1) {
      if (i + 16 > end) throw new ScrubError("broken HEIC: a box header is cut off");
      const high = u32be(bytes, i + 8);
      size = high * 2 ** 32 + u32be(bytes, i + 12);
      header = 16;
    } else if (size === 0) {
      size = end - i;
    }
    if (size < header || i + size > end) throw new ScrubError("broken HEIC: a box runs past its parent");
    found.push({ type, start: i, body: i + header, end: i + size });
    i += size;
  }
  return found;
}

function readUint(bytes, i, size) {
  let value = 0;
  for (let k = 0; k < size; k++) value = value * 256 + bytes[i + k];
  return value;
}

function metadataItemIds(bytes, iinf) {
  // iinf: FullBox; entry count (16 or 32 bits), then infe boxes (version 2 or 3 carry
  // item_type: "Exif", or "mime" with content type application/rdf+xml for XMP).
  const version = bytes[iinf.body];
  const first = iinf.body + 4 + (version === 0 ? 2 : 4);
  const ids = new Map();
  for (const infe of boxes(bytes, first, iinf.end)) {
    if (infe.type !== "infe") continue;
    const infeVersion = bytes[infe.body];
    if (infeVersion < 2) continue;
    let p = infe.body + 4;
    const id = infeVersion === 2 ? u16be(bytes, p) : u32be(bytes, p);
    p += (infeVersion === 2 ? 2 : 4) + 2; // item id, protection index
    const type = ascii(bytes, p, 4);
    p += 4;
    if (type === "Exif") ids.set(id, "Exif (HEIC item)");
    if (type === "mime") {
      const nameEnd = bytes.indexOf(0, p);
      const contentType = nameEnd === -1 ? "" : ascii(bytes, nameEnd + 1, Math.min(32, infe.end - nameEnd - 1));
      if (contentType.startsWith("application/rdf+xml")) ids.set(id, "XMP (HEIC item)");
    }
  }
  return ids;
}

function itemExtents(bytes, iloc, wanted) {
  // iloc: FullBox; sizes of offset, length, base offset (and index in v1/v2) fields.
  const version = bytes[iloc.body];
  let p = iloc.body + 4;
  const offsetSize = bytes[p] >> 4;
  const lengthSize = bytes[p] & 15;
  const baseSize = bytes[p + 1] >> 4;
  const indexSize = version === 1 || version === 2 ? bytes[p + 1] & 15 : 0;
  p += 2;
  const count = version < 2 ? u16be(bytes, p) : u32be(bytes, p);
  p += version < 2 ? 2 : 4;
  const extents = [];
  for (let n = 0; n < count; n++) {
    const id = version < 2 ? u16be(bytes, p) : u32be(bytes, p);
    p += version < 2 ? 2 : 4;
    let method = 0;
    if (version === 1 || version === 2) {
      method = u16be(bytes, p) & 15;
      p += 2;
    }
    p += 2; // data reference index
    const base = readUint(bytes, p, baseSize);
    p += baseSize;
    const extentCount = u16be(bytes, p);
    p += 2;
    for (let e = 0; e < extentCount; e++) {
      p += indexSize;
      const offset = readUint(bytes, p, offsetSize);
      p += offsetSize;
      const length = readUint(bytes, p, lengthSize);
      p += lengthSize;
      if (wanted.has(id)) {
        if (method !== 0) throw new ScrubError("HEIC metadata stored inside another box is not supported");
        extents.push({ id, start: base + offset, length });
      }
    }
  }
  return extents;
}

// A HEIF Exif item: the offset to the TIFF header (6, past "Exif\0\0"), then a
// little-endian TIFF header whose first directory has no entries.
const EMPTY_HEIF_EXIF = new Uint8Array([
  0, 0, 0, 6, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

function scrubHeic(bytes, removed) {
  const top = boxes(bytes, 0, bytes.length);
  const meta = top.find((box) => box.type === "meta");
  if (!meta) return bytes;
  const children = boxes(bytes, meta.body + 4, meta.end); // meta is a FullBox
  const iinf = children.find((box) => box.type === "iinf");
  const iloc = children.find((box) => box.type === "iloc");
  if (!iinf || !iloc) return bytes;
  const wanted = metadataItemIds(bytes, iinf);
  if (wanted.size === 0) return bytes;
  const out = bytes.slice();
  for (const extent of itemExtents(bytes, iloc, wanted)) {
    if (extent.start + extent.length > out.length) throw new ScrubError("broken HEIC: an item runs past the end");
    const what = wanted.get(extent.id);
    // Overwritten where it lies, so no offset in the file changes: an Exif item
    // becomes an empty Exif block (readers expect one there), XMP becomes blanks.
    const blank = what.startsWith("Exif") ? EMPTY_HEIF_EXIF : new Uint8Array(0);
    out.fill(what.startsWith("Exif") ? 0 : 0x20, extent.start, extent.start + extent.length);
    if (blank.length <= extent.length) out.set(blank, extent.start);
    note(removed, what);
  }
  return out;
}

const SCRUBBERS = { jpeg: scrubJpeg, png: scrubPng, webp: scrubWebp, heic: scrubHeic };

/** Remove hidden data from one file's bytes (a Uint8Array). */
export function scrubMetadata(bytes) {
  const kind = detectKind(bytes);
  const removed = [];
  if (kind === "other") return { kind, bytes, removed };
  return { kind, bytes: SCRUBBERS[kind](bytes, removed), removed };
}

/** The same for a File: a new File with the same name and type, or the original. */
export async function scrubFile(file) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (detectKind(head) === "other") return { kind: "other", file, removed: [] };
  const result = scrubMetadata(new Uint8Array(await file.arrayBuffer()));
  if (result.removed.length === 0) return { kind: result.kind, file, removed: [] };
  // No lastModified: the photo's own date is one of the things being removed.
  const cleaned = new File([result.bytes], file.name, { type: file.type });
  return { kind: result.kind, file: cleaned, removed: result.removed };
}
