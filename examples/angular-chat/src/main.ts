import { bootstrapApplication } from '@angular/platform-browser';
import { App } from './app/app';
import { appConfig } from './app/app.config';

// `data-stable` tells the browser test (and you, in devtools) that the app became stable: the channel socket's
// sockets and timers run outside the zone, so they do not hold it back.
bootstrapApplication(App, appConfig)
  .then((appRef) => appRef.whenStable())
  .then(() => document.body.setAttribute('data-stable', 'true'))
  .catch((err) => console.error(err));
