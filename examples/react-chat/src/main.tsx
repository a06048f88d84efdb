import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChannelSocketProvider } from 'sente-rx/react';
import { Chat } from './Chat';

// The name is the uid here (the server reads it from the handshake's `name` parameter); a real app takes the
// uid from its session instead.
const name = new URLSearchParams(location.search).get('name') || 'guest';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ChannelSocketProvider options={{ url: '/chsk', params: { name }, backoff: (n) => Math.min(250 * 2 ** n, 2000) }}>
      <Chat name={name} />
    </ChannelSocketProvider>
  </StrictMode>,
);
