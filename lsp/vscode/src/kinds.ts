// Which YAML/JSON files are Accord documents, decided from their text alone
// (no `vscode` import, so that it can be unit-tested with node's test runner).
// The language server makes the final decision; this only tells the extension
// when it is worth starting the server.

/** The document kinds of the prelude (docs/language.md, section 7). */
export const PRELUDE_KINDS: readonly string[] = [
  'questionnaire',
  'manifest',
  'change_request',
  'readiness',
  'scorecard',
];

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
/** `schema NAME {` declares (or extends) a document kind. */
const SCHEMA_DECL = new RegExp(`^[ \\t]*schema[ \\t]+(${NAME})`, 'gm');
/** A top-level `kind: NAME` in YAML (at column 0, optionally quoted, optionally commented). */
const YAML_KIND = new RegExp(`^kind[ \\t]*:[ \\t]*(["']?)(${NAME})\\1[ \\t]*(?:#.*)?\\r?$`, 'm');
/** A `"kind": "NAME"` member in JSON that does not parse (yet). */
const JSON_KIND = new RegExp(`"kind"\\s*:\\s*"(${NAME})"`);

/** The top-level `kind` of a YAML document (the first one of a multi-document file that has one). */
export function yamlKind(text: string): string | undefined {
  return YAML_KIND.exec(text)?.[2];
}

/** The top-level `kind` of a JSON document. */
export function jsonKind(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const kind = (value as Record<string, unknown>).kind;
      return typeof kind === 'string' ? kind : undefined;
    }
    return undefined;
  } catch {
    // Being edited: look for the member instead.
    return JSON_KIND.exec(text)?.[1];
  }
}

/** The top-level `kind` of a document in language `languageId` (`yaml` or `json`). */
export function documentKind(languageId: string, text: string): string | undefined {
  switch (languageId) {
    case 'yaml':
      return yamlKind(text);
    case 'json':
      return jsonKind(text);
    default:
      return undefined;
  }
}

/** The kinds declared by the `schema` blocks of a policy file. */
export function schemaKinds(policyText: string): string[] {
  return Array.from(policyText.matchAll(SCHEMA_DECL), (m) => m[1]);
}

/** True when `kind` is a prelude kind or one of `declared`. */
export function isAccordKind(kind: string | undefined, declared: Iterable<string> = []): boolean {
  if (kind === undefined) {
    return false;
  }
  if (PRELUDE_KINDS.includes(kind)) {
    return true;
  }
  for (const k of declared) {
    if (k === kind) {
      return true;
    }
  }
  return false;
}
