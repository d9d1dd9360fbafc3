import type { Routes } from '@angular/router';

const BRAND = 'Locksmith Now';
/** The plumbing side's name in the app bar (the form's consent text names the company the same way). */
const PLUMBING_BRAND = 'Trades Marketplace';

export const routes: Routes = [
  {
    path: '',
    pathMatch: 'full',
    title: `${BRAND}: a locksmith at your door, day or night`,
    loadComponent: () => import('./landing/landing-page').then((m) => m.LandingPage),
  },
  {
    path: 'book',
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'location' },
      {
        path: 'location',
        title: `Step 1 of 3, where · ${BRAND}`,
        loadComponent: () => import('./booking/location-step').then((m) => m.LocationStep),
      },
      {
        path: 'service',
        title: `Step 2 of 3, what · ${BRAND}`,
        loadComponent: () => import('./booking/service-step').then((m) => m.ServiceStep),
      },
      {
        path: 'payment',
        title: `Step 3 of 3, deposit · ${BRAND}`,
        loadComponent: () => import('./booking/payment-step').then((m) => m.PaymentStep),
      },
    ],
  },
  {
    path: 'status/:token',
    title: `Booking status · ${BRAND}`,
    loadComponent: () => import('./status/status-page').then((m) => m.StatusPage),
  },
  {
    path: 'plumbing',
    title: 'Need a plumber? Ask once, one local plumber calls you back',
    loadComponent: () => import('./plumbing/plumbing-page').then((m) => m.PlumbingPage),
  },
  {
    path: 'lead-offer/:token',
    title: 'A lead for you',
    loadComponent: () => import('./lead-offer/lead-offer-page').then((m) => m.LeadOfferPage),
  },
  {
    path: 'lead-credit/:token',
    title: 'Ask for a lead credit',
    loadComponent: () => import('./lead-credit/lead-credit-page').then((m) => m.LeadCreditPage),
  },
  {
    path: 'plumber/card/:token',
    title: 'Save your card · Plumbing leads',
    loadComponent: () => import('./plumber/card-page').then((m) => m.CardPage),
  },
  { path: '**', redirectTo: '' },
];

export { BRAND, PLUMBING_BRAND };
