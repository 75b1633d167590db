/**
 * The console's door to the service: typed calls of the HTTP API (shapes from the server's own zod schemas, so
 * the two cannot drift apart). Errors carry the API's one-line message.
 */
import type { z } from 'zod';
import type * as s from '../../src/service/api/schemas.js';

export type Connector = z.infer<typeof s.Connector>;
export type ConnectorCreate = z.infer<typeof s.ConnectorCreate>;
export type ConnectorUpdate = z.infer<typeof s.ConnectorUpdate>;
export type Run = z.infer<typeof s.Run>;
export type RunTable = z.infer<typeof s.RunTable>;
export type Schedule = z.infer<typeof s.ScheduleInput>;
export type TestResult = z.infer<typeof s.TestResult>;
export type CatalogTable = z.infer<typeof s.CatalogTable>;
export type ConnectorTable = z.infer<typeof s.ConnectorTable>;
export type LogLine = z.infer<typeof s.LogLine>;

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN_KEY = 'acsync.token';

/** The API token, when the service is bound beyond this machine and asks for one. */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  // The API takes state-changing requests as JSON only (its guard against cross-site forms): {} when there is nothing to say.
  const payload = method === 'GET' ? undefined : JSON.stringify(body ?? {});
  const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(payload !== undefined && { body: payload }) });
  } catch {
    throw new ApiError(0, 'the acsync service does not answer: is `acsync serve` still running?');
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = (parsed as { error?: string } | null)?.error ?? `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

const id = encodeURIComponent;

export const api = {
  catalog: () => call<CatalogTable[]>('GET', '/api/catalog'),
  connectors: () => call<Connector[]>('GET', '/api/connectors'),
  connector: (connector: string) => call<Connector>('GET', `/api/connectors/${id(connector)}`),
  create: (input: ConnectorCreate) => call<Connector>('POST', '/api/connectors', input),
  update: (connector: string, input: ConnectorUpdate) => call<Connector>('PATCH', `/api/connectors/${id(connector)}`, input),
  remove: (connector: string) => call<{ id: string; destination: string }>('DELETE', `/api/connectors/${id(connector)}`),
  pause: (connector: string) => call<Connector>('POST', `/api/connectors/${id(connector)}/pause`),
  resume: (connector: string) => call<Connector>('POST', `/api/connectors/${id(connector)}/resume`),
  testNew: (input: { url: string; key: string; tables?: { name: string }[] }) => call<TestResult>('POST', '/api/connection-tests', input),
  testSaved: (connector: string) => call<TestResult>('POST', `/api/connectors/${id(connector)}/test`),
  tables: (connector: string) => call<ConnectorTable[]>('GET', `/api/connectors/${id(connector)}/tables`),
  runs: (connector: string) => call<Run[]>('GET', `/api/connectors/${id(connector)}/runs?limit=50`),
  run: (connector: string, run: string) => call<Run>('GET', `/api/connectors/${id(connector)}/runs/${id(run)}`),
  startRun: (connector: string, fullRefresh = false) => call<Run>('POST', `/api/connectors/${id(connector)}/runs`, { fullRefresh }),
  cancel: (connector: string, run: string) => call<Run>('POST', `/api/connectors/${id(connector)}/runs/${id(run)}/cancel`),
  logs: (connector: string, run: string) => call<LogLine[]>('GET', `/api/connectors/${id(connector)}/runs/${id(run)}/logs`),
  dbtUrl: (connector: string) => `/api/connectors/${id(connector)}/dbt`,
};

export interface RunWatch {
  progress(run: Run): void;
  log(line: LogLine): void;
  end(run: Run | null): void;
}

/**
 * Follows a run as it goes: server-sent events, or (when the API wants a token, which EventSource cannot send)
 * a look every second. Returns the function that stops following.
 */
export function watchRun(connector: string, run: string, on: RunWatch): () => void {
  if (!token.get()) {
    const events = new EventSource(`/api/connectors/${id(connector)}/runs/${id(run)}/events`);
    const data = <T>(event: Event): T => JSON.parse((event as MessageEvent<string>).data) as T;
    events.addEventListener('progress', (e) => on.progress(data<Run>(e)));
    events.addEventListener('log', (e) => on.log(data<LogLine>(e)));
    events.addEventListener('end', (e) => { events.close(); on.end(data<Run | null>(e)); });
    return () => events.close();
  }
  let stopped = false;
  let after = 0;
  const look = async () => {
    if (stopped) return;
    try {
      for (const line of await call<LogLine[]>('GET', `/api/connectors/${id(connector)}/runs/${id(run)}/logs?after=${after}`)) {
        after = line.seq;
        on.log(line);
      }
      const current = await api.run(connector, run);
      if (['success', 'partial', 'failed', 'interrupted', 'cancelled'].includes(current.status)) return on.end(current);
      on.progress(current);
    } catch {
      // A missed look is made up by the next one.
    }
    setTimeout(look, 1000);
  };
  void look();
  return () => { stopped = true; };
}
