import { provideZoneChangeDetection, type ApplicationConfig } from '@angular/core';
import { provideClientHydration, withEventReplay } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import { provideChannelSocket } from 'sente-rx/angular';

export const appConfig: ApplicationConfig = {
  providers: [
    // zone.js on purpose: the case where a client inside the zone would keep the app from ever being stable.
    provideZoneChangeDetection({ eventCoalescing: true }),
    provideRouter([]),
    provideClientHydration(withEventReplay()),
    // The name is the uid here (the server reads the handshake's `name`); a real app uses its session. The
    // function runs in the browser only: on the server the binding is inert.
    provideChannelSocket(() => ({ url: '/chsk', params: { name: new URLSearchParams(location.search).get('name') || 'guest' } })),
  ],
};
