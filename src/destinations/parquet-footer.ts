/**
 * Declares the logical types DuckDB leaves out of the Parquet files it writes. DuckDB 1.5 marks text columns and
 * dates only with the legacy converted types (UTF8, DATE) and no `logicalType`, which strict readers may take for
 * raw bytes and plain integers (DuckDB's own answer: "we haven't yet found a reader for which this matters",
 * duckdb/duckdb#2883). Timestamps already carry their logical type.
 *
 * The file's footer (Thrift compact protocol, parquet.thrift `FileMetaData`) is rewritten in place: each schema
 * element with converted type UTF8 or DATE gains the matching `logicalType` (STRING, DATE), which parquet.thrift
 * defines as equivalent. Nothing else changes: column chunks are addressed by absolute offsets before the footer,
 * so only the footer's bytes and length move. Callers run this on a file not yet published.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

const MAGIC = 'PAR1';

/** Thrift compact protocol type ids. */
const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

/** parquet.thrift: ConvertedType UTF8 = 0, DATE = 6; LogicalType union members STRING = 1, DATE = 6. */
const LOGICAL_FOR_CONVERTED: ReadonlyMap<number, number> = new Map([[0, 1], [6, 6]]);
const SCHEMA_FIELD = 2; // FileMetaData.schema
const CONVERTED_TYPE_FIELD = 6; // SchemaElement.converted_type
const LOGICAL_TYPE_FIELD = 10; // SchemaElement.logicalType

/** A forward reader over the footer's bytes. */
class CompactReader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('Parquet footer ends early');
    return this.bytes[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  skip(type: number): void {
    switch (type) {
      case T.TRUE: case T.FALSE: return;
      case T.BYTE: this.pos += 1; return;
      case T.I16: case T.I32: case T.I64: this.varint(); return;
      case T.DOUBLE: this.pos += 8; return;
      case T.BINARY: {
        const length = this.varint();
        this.pos += length;
        return;
      }
      case T.LIST: case T.SET: {
        const { size, elementType } = this.listHeader();
        // Booleans inside collections take one byte each.
        for (let i = 0; i < size; i++) {
          if (elementType === T.TRUE || elementType === T.FALSE) this.pos += 1;
          else this.skip(elementType);
        }
        return;
      }
      case T.MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) { this.skip(types >> 4); this.skip(types & 0x0f); }
        return;
      }
      case T.STRUCT: this.struct(() => false); return;
      default: throw new Error(`Parquet footer has an unknown Thrift type ${type}`);
    }
  }

  listHeader(): { size: number; elementType: number } {
    const header = this.byte();
    const short = header >> 4;
    return { size: short === 15 ? this.varint() : short, elementType: header & 0x0f };
  }

  /**
   * Walks one struct. `onField` may consume the field's value itself (returning true); otherwise it is skipped.
   * Returns the last field id and the position of the struct's stop byte.
   */
  struct(onField: (id: number, type: number) => boolean): { lastId: number; stopAt: number } {
    let lastId = 0;
    for (;;) {
      const at = this.pos;
      const header = this.byte();
      if (header === 0) return { lastId, stopAt: at };
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : lastId + delta;
      lastId = id;
      if (!onField(id, type)) this.skip(type);
    }
  }
}

/** The bytes of a struct field holding `logicalType = { <member>: {} }`, following field `lastId`. */
function logicalTypeField(lastId: number, member: number): number[] {
  const delta = LOGICAL_TYPE_FIELD - lastId;
  const header = delta > 0 && delta <= 15 ? [(delta << 4) | T.STRUCT] : [T.STRUCT, LOGICAL_TYPE_FIELD * 2];
  // The union's member is an empty struct: its header, its stop, then the union's stop.
  return [...header, (member << 4) | T.STRUCT, 0, 0];
}

/** The footer with logical types added where only converted types were given; the same bytes if none are missing. */
export function withLogicalTypes(footer: Uint8Array): Uint8Array {
  const reader = new CompactReader(footer);
  const inserts: { at: number; bytes: number[] }[] = [];
  reader.struct((id, type) => {
    if (id !== SCHEMA_FIELD || type !== T.LIST) return false;
    const { size } = reader.listHeader();
    for (let i = 0; i < size; i++) {
      let converted: number | undefined;
      let hasLogical = false;
      const { lastId, stopAt } = reader.struct((field, fieldType) => {
        if (field === LOGICAL_TYPE_FIELD) hasLogical = true;
        if (field !== CONVERTED_TYPE_FIELD || fieldType !== T.I32) return false;
        converted = reader.zigzag();
        return true;
      });
      const member = converted === undefined ? undefined : LOGICAL_FOR_CONVERTED.get(converted);
      if (member !== undefined && !hasLogical) inserts.push({ at: stopAt, bytes: logicalTypeField(lastId, member) });
    }
    return true;
  });
  if (inserts.length === 0) return footer;
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const insert of inserts) {
    parts.push(footer.subarray(from, insert.at), Uint8Array.from(insert.bytes));
    from = insert.at;
  }
  parts.push(footer.subarray(from));
  return Buffer.concat(parts);
}

/** Rewrites the footer of the Parquet file at `path` with the missing logical types (see the top of this file). */
export function declareLogicalTypes(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== MAGIC) throw new Error(`${path} is not a Parquet file`);
    const footerLength = tail.readUInt32LE(0);
    const footerStart = size - 8 - footerLength;
    const footer = Buffer.alloc(footerLength);
    readSync(fd, footer, 0, footerLength, footerStart);
    const patched = withLogicalTypes(footer);
    if (patched === footer) return;
    const end = Buffer.alloc(8);
    end.writeUInt32LE(patched.length, 0);
    end.write(MAGIC, 4, 'latin1');
    ftruncateSync(fd, footerStart);
    writeSync(fd, Buffer.concat([patched, end]), 0, patched.length + 8, footerStart);
  } finally {
    closeSync(fd);
  }
}
