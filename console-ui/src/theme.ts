// Light, dark, or the system's choice (prefers-color-scheme): a toggle in the header cycles them;
// the choice is kept in localStorage and shown as <html data-theme>.

export type ThemeChoice = 'auto' | 'light' | 'dark'
const KEY = 'samsa-console-theme'
const listeners = new Set<() => void>()
const media = window.matchMedia('(prefers-color-scheme: dark)')

function stored (): ThemeChoice {
  const v = window.localStorage.getItem(KEY)
  return v === 'light' || v === 'dark' ? v : 'auto'
}

let choice: ThemeChoice = stored()
document.documentElement.dataset.theme = choice
media.addEventListener('change', () => { if (choice === 'auto') for (const l of listeners) l() })

export function themeChoice (): ThemeChoice { return choice }

/** The theme in effect. */
export function effectiveTheme (): 'light' | 'dark' {
  return choice === 'auto' ? (media.matches ? 'dark' : 'light') : choice
}

export function setTheme (next: ThemeChoice): void {
  choice = next
  if (next === 'auto') window.localStorage.removeItem(KEY)
  else window.localStorage.setItem(KEY, next)
  document.documentElement.dataset.theme = next
  for (const l of listeners) l()
}

export function cycleTheme (): void {
  setTheme(choice === 'auto' ? 'light' : choice === 'light' ? 'dark' : 'auto')
}

export function onThemeChange (fn: () => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
