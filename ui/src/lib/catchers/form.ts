// The "New catcher" form: one click makes the catcher and, when subscribed, the
// endpoint that delivers to it.
import type { CatcherIn, CatcherPatch, VerifySpec } from '../api/types';
import { parsePatterns, patternProblem } from '../util/filter';
import { emptyScriptForm, scriptFromForm, type ScriptErrors, type ScriptForm } from './script';

/** Whose signatures the catcher checks. */
export type VerifyMode = 'none' | 'secret' | 'endpoint';

export interface CatcherForm {
  name: string;
  script: ScriptForm;
  verifyMode: VerifyMode;
  /** A `whsec_…` secret, for `verifyMode: 'secret'`. */
  secret: string;
  subscribe: boolean;
  /** Event patterns for the endpoint, separated by spaces, commas or lines. */
  filters: string;
}

export type CatcherErrors = ScriptErrors &
  Partial<Record<'name' | 'verify.secret' | 'subscribe.event_filter' | 'form', string>>;

export function emptyCatcherForm(): CatcherForm {
  return { name: '', script: emptyScriptForm(), verifyMode: 'endpoint', secret: '', subscribe: true, filters: '**' };
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The create body, and the patch to send right after it: a subscribed catcher
 * checks its endpoint's signatures, so another choice is set once it exists.
 */
export function catcherBody(form: CatcherForm): { body: CatcherIn; then: CatcherPatch | null; errors: CatcherErrors } {
  const { script, errors: scriptErrors } = scriptFromForm(form.script);
  const errors: CatcherErrors = { ...scriptErrors };
  const name = form.name.trim();
  if (!NAME_RE.test(name)) {
    errors.name = 'Lowercase letters, digits, _ and -, starting with a letter or digit (at most 63)';
  }
  let verify: VerifySpec | null = null;
  if (form.verifyMode === 'secret') {
    if (!form.secret.trim()) errors['verify.secret'] = 'Paste the whsec_… secret to check with';
    verify = { secret: form.secret.trim() };
  }
  const body: CatcherIn = { name, script };
  let then: CatcherPatch | null = null;
  if (form.subscribe) {
    const filters = parsePatterns(form.filters.replace(/\s+/g, ','));
    if (filters.length === 0) errors['subscribe.event_filter'] = 'Add at least one pattern; ** matches every event';
    const bad = filters.find((p) => patternProblem(p));
    if (bad) errors['subscribe.event_filter'] = `"${bad}" ${patternProblem(bad)}`;
    body.subscribe = { event_filter: filters };
    if (form.verifyMode !== 'endpoint') then = { verify };
  } else if (verify) {
    body.verify = verify;
  }
  return { body, then, errors };
}

/** Whether the form shows a 422 on this API field next to its input. */
export function isFormField(field: string): field is keyof CatcherErrors {
  return ['name', 'verify.secret', 'subscribe.event_filter'].includes(field) || field.startsWith('script.');
}
