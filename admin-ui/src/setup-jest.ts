import { setupZonelessTestEnv } from 'jest-preset-angular/setup-env/zoneless/index.mjs';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';

// jsdom runs no CSS animations: dialogs and snackbars must not wait for `animationend`.
setupZonelessTestEnv({
  extraProviders: [{ provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
});
