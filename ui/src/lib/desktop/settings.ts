// The desktop shell's own settings (desktop.json in the data dir), over its IPC commands.
// Only the desktop window has them; a browser tab never calls these.

export interface DesktopSettings {
  listen: string | null;
  notifications: boolean;
  close_to_tray: boolean;
}

export type DesktopSettingsPatch = Partial<DesktopSettings>;

async function invoke<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const tauri = await import('@tauri-apps/api/core');
  return tauri.invoke<T>(command, args);
}

export function loadDesktopSettings(): Promise<DesktopSettings> {
  return invoke<DesktopSettings>('desktop_settings');
}

/** Saves a change; resolves to every setting as stored, or rejects with the shell's message. */
export function saveDesktopSettings(patch: DesktopSettingsPatch): Promise<DesktopSettings> {
  return invoke<DesktopSettings>('set_desktop_settings', { patch });
}
