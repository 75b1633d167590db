/**
 * Validators for the protocol messages acsync prints, compiled from the JSON Schemas in this directory (transcribed
 * from the Singer specification and the Airbyte protocol definition). Formats are checked here, since ajv-formats
 * is not a dependency: RFC 3339 date-time with a zone, full-date, and absolute URIs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

export const RFC3339_DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
export const FULL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** An ajv instance for protocol documents and for the record schemas acsync itself emits. */
export function createAjv(): Ajv {
  // `required` in the if/then rules names properties defined beside them, which strictRequired cannot see.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => RFC3339_DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('date', { type: 'string', validate: (s: string) => FULL_DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  // Airbyte's annotations in connector specs and stream schemas.
  ajv.addKeyword({ keyword: 'airbyte_secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'airbyte_type', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'order', schemaType: 'number' });
  return ajv;
}

const ajv = createAjv();
const airbyte = load('airbyte-protocol.schema.json');
ajv.addSchema(airbyte);

export const validators = {
  singerMessage: ajv.compile(load('singer-message.schema.json')),
  singerCatalog: ajv.compile(load('singer-catalog.schema.json')),
  airbyteMessage: ajv.getSchema(String(airbyte.$id)) as ValidateFunction,
  configuredCatalog: ajv.getSchema(`${String(airbyte.$id)}#/definitions/ConfiguredAirbyteCatalog`) as ValidateFunction,
};

/** Asserts that `value` passes `validate`, naming what failed. */
export function assertValid(validate: ValidateFunction, value: unknown, what: string): void {
  if (!validate(value)) {
    assert.fail(`${what} is not valid: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 600)}`);
  }
}

/** Validates records against the schemas of their streams, compiling each stream's schema once. */
export class RecordChecker {
  private readonly ajv = createAjv();
  private readonly byStream = new Map<string, ValidateFunction>();

  setSchema(stream: string, schema: Record<string, unknown>): void {
    this.byStream.set(stream, this.ajv.compile(schema));
  }

  check(stream: string, record: unknown): void {
    const validate = this.byStream.get(stream);
    assert.ok(validate, `a record of ${stream} came before the stream's schema`);
    if (!validate(record)) {
      assert.fail(`a record of ${stream} does not match its schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(record).slice(0, 600)}`);
    }
  }
}
