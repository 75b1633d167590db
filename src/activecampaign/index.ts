export { ActiveCampaignClient, parseRetryAfter, type ClientEvent, type ClientOptions, type ClientStats } from './client.js';
export { ApiError, ConfigError, errorMessageFromBody, type ApiErrorKind } from './errors.js';
export { PAGE_LIMIT, readPages, type Page, type ReadOptions } from './pages.js';
export { RequestBudget, type RequestBudgetOptions } from './rate-limiter.js';
export { normalizeBaseUrl } from './url.js';
