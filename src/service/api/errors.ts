/** Errors the API answers with their status and one line; the app turns them into `{error}` bodies. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 415 | 422 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) => new HttpError(404, `no ${what} with id ${id}`);
