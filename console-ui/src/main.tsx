// The samsa console page: a header with the cluster and the theme toggle, and one page per route
// (#/topics, #/topics/:name, #/messages/:topic, #/groups, #/groups/:id, #/live).

import { render } from 'preact'
import { useState } from 'preact/hooks'
import { get, type Overview } from './api.ts'
import { href, useAsync, useRoute } from './hooks.ts'
import { GroupDetail } from './pages/GroupDetail.tsx'
import { Groups } from './pages/Groups.tsx'
import { Live } from './pages/Live.tsx'
import { Messages } from './pages/Messages.tsx'
import { TopicDetail } from './pages/TopicDetail.tsx'
import { Topics } from './pages/Topics.tsx'
import './style.css'
import { cycleTheme, themeChoice } from './theme.ts'

const THEME_LABELS = { auto: '◐ Auto', light: '☀ Light', dark: '☾ Dark' } as const

function ThemeToggle () {
  const [choice, setChoice] = useState(themeChoice)
  return (
    <button type="button" class="theme" id="theme-toggle" title="Theme: follows the system, light or dark"
      onClick={() => { cycleTheme(); setChoice(themeChoice()) }}>{THEME_LABELS[choice]}</button>
  )
}

function Header ({ section }: { section: string }) {
  const overview = useAsync(() => get<Overview>('/api/overview'), [], 30_000)
  const o = overview.data
  const link = (name: string, label: string) => <a href={href(name)} class={section === name ? 'active' : ''}>{label}</a>
  return (
    <header>
      <a class="brand" href={href('topics')}><img src="/favicon.svg" alt="" width="22" height="22" />samsa</a>
      <nav>
        {link('topics', 'Topics')}
        {link('messages', 'Messages')}
        {link('groups', 'Groups')}
        {link('live', 'Live')}
      </nav>
      <span class="spacer" />
      <span class="cluster" title={o !== undefined ? `cluster ${o.clusterId}` : ''}>
        {overview.error !== undefined ? <span class="error">cluster unreachable</span> : o !== undefined ? `${o.bootstrapServers.join(', ')} · ${o.brokers.length} broker${o.brokers.length === 1 ? '' : 's'}` : '…'}
      </span>
      <ThemeToggle />
    </header>
  )
}

function App () {
  const [section = 'topics', arg] = useRoute()
  let page
  if (section === 'topics' && arg !== undefined) page = <TopicDetail key={arg} name={arg} />
  else if (section === 'messages') page = <Messages topic={arg} />
  else if (section === 'groups' && arg !== undefined) page = <GroupDetail key={arg} id={arg} />
  else if (section === 'groups') page = <Groups />
  else if (section === 'live') page = <Live />
  else page = <Topics />
  return (
    <>
      <Header section={section} />
      <main>{page}</main>
    </>
  )
}

const root = document.getElementById('app')
if (root !== null) render(<App />, root)
