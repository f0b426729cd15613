// Escaping for text placed into the report's HTML and SVG.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for an HTML element body or a double-quoted attribute. */
export const escapeHtml = (value) => String(value ?? "").replace(/[&<>"']/g, (character) => ENTITIES[character]);

/** Render backtick-quoted code in catalog text (`aws_subnet`) as <code>, escaping the rest. */
export const withCode = (value) =>
  escapeHtml(value).replace(/`([^`]+)`/g, (_match, code) => `<code>${code}</code>`);
