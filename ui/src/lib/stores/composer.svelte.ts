// The composer's draft, kept across screens so "Edit & resend" can prefill it.

export const DEFAULT_PAYLOAD = `{
  "id": 1,
  "status": "paid"
}`;

export class ComposerStore {
  name = $state('order.created');
  payload = $state(DEFAULT_PAYLOAD);
  /** Bumped when the draft is replaced from outside, so the editor reloads its text. */
  revision = $state(0);

  load(name: string, payload: string): void {
    this.name = name;
    this.payload = payload;
    this.revision++;
  }
}
