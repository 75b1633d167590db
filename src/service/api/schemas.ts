/**
 * The API's request and response shapes: zod schemas that validate input and generate the OpenAPI document.
 * Field names are camelCase; times are ISO-8601 UTC strings; absent settings are null.
 */
import { z } from '@hono/zod-openapi';

export const ErrorBody = z.object({ error: z.string().openapi({ example: 'no connector with id c_123' }) }).openapi('Error');

export const TableChoice = z
  .object({
    name: z.string().openapi({ example: 'contacts' }),
    mode: z.enum(['full', 'incremental']).optional().openapi({ description: 'default: incremental where the table offers it' }),
  })
  .strict()
  .openapi('TableChoice');

export const ScheduleInput = z
  .union([
    z.object({ everyMinutes: z.number().int().min(5).max(44_640) }).strict(),
    z.object({ everyHours: z.number().int().min(1).max(744) }).strict(),
    z.object({ cron: z.string().openapi({ description: 'five fields, UTC', example: '0 3 * * *' }) }).strict(),
  ])
  .nullable()
  .openapi('Schedule', { description: 'when runs start by themselves; null: only when asked' });

const hours = z.number().positive({ error: 'write a number of hours above 0' });

/** Checked further (catalog tables, read whole) by engine/refresh-every.ts, as the CLI's `--refresh-every`. */
export const RefreshEveryHours = z
  .union([hours, z.record(z.string(), hours)], { error: 'write a number of hours, or an object of table name → hours' })
  .nullable()
  .openapi('RefreshEveryHours', {
    description:
      'tables read whole are read at most once in so many hours; a run within the interval leaves them out (not due, not a failure), ' +
      'so their edits and deletions arrive up to one interval late. A number: every table the API lets us read only whole; ' +
      'an object: per table (a table read incrementally is refused). null: every run',
    example: { contacts_notes: 24 },
  });

const connectorFields = {
  name: z.string().trim().min(1).max(100).openapi({ example: 'Main account' }),
  url: z.string().min(1).openapi({ description: 'API URL from Settings → Developer', example: 'https://acme.api-us1.com' }),
  key: z.string().min(1).openapi({ description: 'API key from Settings → Developer; write-only' }),
  tables: z.array(TableChoice).min(1).openapi({ description: 'default: every table in its default mode' }),
  destination: z.string().min(1).openapi({
    description: 'duckdb:<file>, postgres://…, parquet:<folder> or s3://bucket/prefix; default a DuckDB file in the data folder',
    example: 'duckdb:acme.duckdb',
  }),
  schedule: ScheduleInput,
  fullRefreshEveryDays: z.number().int().min(1).max(365).nullable().openapi({ description: 'a full pass of incremental tables every N days' }),
  refreshEveryHours: RefreshEveryHours,
  timeZone: z.string().nullable().openapi({ description: 'IANA zone of the account, for naive timestamps', example: 'America/Sao_Paulo' }),
  webhookUrl: z.url({ protocol: /^https?$/ }).nullable().openapi({ description: 'receives a JSON body when a run fails or ends partial, and on recovery; link-local and unspecified addresses (169.254.0.0/16, fe80::/10, 0.0.0.0, ::) are refused' }),
};

export const ConnectorCreate = z
  .object({
    ...connectorFields,
    runNow: z.boolean().openapi({ description: 'queue the first run at once (default true)' }),
  })
  // Only the account is required: every other setting has a default.
  .partial({ tables: true, destination: true, schedule: true, fullRefreshEveryDays: true, refreshEveryHours: true, timeZone: true, webhookUrl: true, runNow: true })
  .strict()
  .openapi('ConnectorCreate');

/** Any subset of the settings; the others keep their value. */
export const ConnectorUpdate = z.object(connectorFields).partial().strict().openapi('ConnectorUpdate');

export const RunTable = z
  .object({
    table: z.string(),
    mode: z.enum(['full', 'incremental']),
    status: z.enum(['success', 'skipped', 'failed', 'interrupted']).openapi({ description: 'skipped with notDueUntil: not due, which is not a failure' }),
    rows: z.number(),
    requests: z.number(),
    conversionErrors: z.number().openapi({ description: 'values the catalog type could not hold, stored as NULL' }),
    warnings: z.array(z.string()),
    error: z.string().optional(),
    notDueUntil: z.string().optional().openapi({
      description: "left out of this run as not due (the connector's refreshEveryHours), not a failure: the first run after this time reads it",
    }),
  })
  .openapi('RunTable');

export const RunStatus = z.enum(['queued', 'running', 'success', 'partial', 'failed', 'interrupted', 'cancelled']);

export const TableProgress = z.object({ rows: z.number(), pages: z.number(), total: z.number().nullable(), done: z.boolean() });

export const RunProgress = z
  .object({ requests: z.number(), rows: z.number(), tables: z.record(z.string(), TableProgress), at: z.string() })
  .openapi('RunProgress');

export const Run = z
  .object({
    id: z.string(),
    connectorId: z.string(),
    kind: z.enum(['scheduled', 'manual', 'full_refresh']),
    status: RunStatus.openapi({ description: 'partial: some table failed or was skipped; a table not due (notDueUntil) counts as neither' }),
    attempt: z.number(),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationSeconds: z.number().nullable(),
    rows: z.number(),
    requests: z.number(),
    error: z.string().nullable(),
    tables: z.array(RunTable),
    progress: RunProgress.nullable().openapi({ description: 'while running: rows and pages per table so far' }),
  })
  .openapi('Run');

export const Connector = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    key: z.string().openapi({ description: 'masked: only the last four characters', example: '••••abcd' }),
    tables: z.array(z.object({ name: z.string(), mode: z.enum(['full', 'incremental']) })),
    destination: z.string().openapi({ description: 'passwords masked' }),
    schedule: ScheduleInput,
    fullRefreshEveryDays: z.number().nullable(),
    refreshEveryHours: RefreshEveryHours,
    timeZone: z.string().nullable(),
    webhookUrl: z.string().nullable().openapi({ description: 'scheme, host and port only (http://host:port/…): the path may be a credential; sent back unchanged, it keeps the saved URL' }),
    paused: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastRun: Run.nullable(),
  })
  .openapi('Connector');

export const ConnectionTest = z
  .object({
    url: connectorFields.url,
    key: connectorFields.key,
    tables: connectorFields.tables.optional(),
  })
  .strict()
  .openapi('ConnectionTestRequest');

export const TestResult = z
  .object({
    ok: z.boolean().openapi({ description: 'true when the key reads every chosen table' }),
    user: z.string().openapi({ description: "the key's user" }),
    tables: z.array(
      z.object({
        table: z.string(),
        readable: z.boolean(),
        permission: z.string().openapi({ description: 'the ActiveCampaign permission the table needs' }),
        reason: z.string().optional(),
      }),
    ),
    grant: z.object({ permissions: z.array(z.string()), where: z.string() }).nullable().openapi({ description: 'what to grant when some table is denied, and where' }),
    assumptions: z.array(z.object({ name: z.string(), ok: z.boolean(), instead: z.string().optional() })),
  })
  .openapi('TestResult');

export const CatalogTable = z
  .object({
    name: z.string(),
    title: z.string(),
    description: z.string(),
    modes: z.array(z.enum(['full', 'incremental'])),
    primaryKey: z.array(z.string()),
    columns: z.array(z.object({ name: z.string(), type: z.string(), description: z.string().nullable() })),
    relations: z.array(z.object({ column: z.string(), table: z.string(), references: z.string() })),
  })
  .openapi('CatalogTable');

export const ConnectorTable = CatalogTable.extend({
  mode: z.enum(['full', 'incremental']),
  rows: z.number().nullable().openapi({ description: 'rows at the destination, as counted after the last run; null before' }),
  countedAt: z.string().nullable(),
  notDueUntil: z.string().nullable().openapi({
    description: "a table read whole whose last full pass is younger than the connector's refreshEveryHours: runs leave it out until this time; null: the next run reads it",
  }),
}).openapi('ConnectorTable');

export const LogLine = z.object({ seq: z.number(), at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() }).openapi('LogLine');

export const RunRequest = z
  .object({ fullRefresh: z.boolean().optional().openapi({ description: 'read every table whole, whatever its mode' }) })
  .strict()
  .openapi('RunRequest');

export type ConnectorCreateInput = z.infer<typeof ConnectorCreate>;
export type ConnectorUpdateInput = z.infer<typeof ConnectorUpdate>;
export type ScheduleValue = z.infer<typeof ScheduleInput>;
export type RefreshEveryValue = z.infer<typeof RefreshEveryHours>;
export type RunBody = z.infer<typeof Run>;
export type RunTableBody = z.infer<typeof RunTable>;
export type RunProgressBody = z.infer<typeof RunProgress>;
export type ConnectorBody = z.infer<typeof Connector>;
