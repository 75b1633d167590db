/** Colours and fonts shared by the DOT/SVG and HTML outputs, so both read the same. */

export interface FamilyColour {
  /** Fill of a table's header. */
  readonly header: string;
  /** Stroke of the relations that start at the family's tables. */
  readonly edge: string;
}

/** Light header fills with a darker stroke of the same hue; distinct enough for ten families. */
const PALETTE: readonly FamilyColour[] = [
  { header: '#dbeafe', edge: '#2563eb' },
  { header: '#fce7f3', edge: '#c0267a' },
  { header: '#dcfce7', edge: '#15803d' },
  { header: '#ffedd5', edge: '#c2410c' },
  { header: '#ede9fe', edge: '#6d28d9' },
  { header: '#fef3c7', edge: '#a16207' },
  { header: '#cffafe', edge: '#0e7490' },
  { header: '#fee2e2', edge: '#b91c1c' },
  { header: '#e0e7ff', edge: '#4338ca' },
  { header: '#e5e7eb', edge: '#6b7280' },
];

export function familyColour(families: readonly string[], family: string): FamilyColour {
  const index = Math.max(0, families.indexOf(family));
  return PALETTE[index % PALETTE.length] as FamilyColour;
}

/** Graphviz sizes text from built-in metrics for these families; browsers find one of them everywhere. */
export const FONT = 'Helvetica';
export const FONT_STACK = 'Helvetica, Arial, "Liberation Sans", sans-serif';
export const MUTED = '#6b7280';
export const BORDER = '#9ca3af';
export const CLUSTER_BORDER = '#d1d5db';
export const CLUSTER_FILL = '#f9fafb';
