/** The operations of an Airbyte source, on their own so the CLI can declare `acsync airbyte` without loading the source. */
export const AIRBYTE_OPERATIONS = ['spec', 'check', 'discover', 'read'] as const;
