// The fixture library: loaded over HTTP and reloaded on `fixtures.changed`, so
// files added, edited or removed in an editor show up at once.
import type { FixturesApi } from '../api/calls';
import { errorMessage } from '../api/client';
import type { FixtureFile, FixtureLibrary, StreamMessage } from '../api/types';
import { groupByFolder, usableFiles } from '../fixtures/library';
import { coalesce } from '../util/coalesce';

export class FixturesStore {
  library = $state.raw<FixtureLibrary | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** The selected file's path. */
  selected = $state<string | null>(null);

  groups = $derived(this.library ? groupByFolder(this.library.files) : []);
  usable = $derived(this.library ? usableFiles(this.library.files) : []);
  selectedFile = $derived<FixtureFile | null>(this.library?.files.find((f) => f.path === this.selected) ?? null);

  /** Loads now, or once more after a load in flight (a burst of changes costs two loads). */
  readonly load = coalesce(async () => {
    try {
      this.library = await this.api().getFixtures();
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  });

  constructor(private readonly api: () => FixturesApi) {}

  /** Switches folders (null: the default one); throws ApiError (422 for a bad path). */
  async setFolder(dir: string | null): Promise<void> {
    this.library = await this.api().setFixturesFolder(dir);
    this.loaded = true;
    this.selected = null;
  }

  applyBatch(messages: readonly StreamMessage[]): void {
    if (this.loaded && messages.some((m) => m.type === 'fixtures_changed')) void this.load();
  }
}
